//! The fixed tile lists the tile and load benchmarks request, the same on every run.

use gridatlas_server::commands::CommandError;
use tiles::TileId;

/// A fixed, deterministic tile list at zoom `z`: up to `n` tiles spread over `bounds`
/// (`[west, south, east, north]`).
pub fn tile_list(bounds: [f64; 4], z: u8, n: usize) -> Result<Vec<TileId>, CommandError> {
    let err = |e: tiles::TileError| CommandError::Io(e.to_string());
    let top_left = TileId::containing(bounds[0], bounds[3], z).map_err(err)?;
    let bottom_right = TileId::containing(bounds[2], bounds[1], z).map_err(err)?;
    let width = u64::from(bottom_right.x() - top_left.x() + 1);
    let height = u64::from(bottom_right.y() - top_left.y() + 1);
    let total = width * height;
    let step = (total / n as u64).max(1);
    let mut out = Vec::new();
    // A stride coprime-ish with the width spreads the sample over rows and columns.
    let mut k = 0u64;
    while out.len() < n && k < total {
        let i = (k * step + (k * 7919) % step) % total;
        let (col, row) = ((i % width) as u32, (i / width) as u32);
        out.push(TileId::new(z, top_left.x() + col, top_left.y() + row).map_err(err)?);
        k += 1;
    }
    Ok(out)
}
