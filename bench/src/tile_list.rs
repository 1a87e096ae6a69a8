//! The fixed tile lists the tile and load benchmarks request, the same on every run.

use gridatlas_server::commands::CommandError;
use tiles::TileId;

/// A fixed, deterministic tile list at zoom `z`: up to `n` tiles spread over `bounds`
/// (`[west, south, east, north]`).
pub fn tile_list(bounds: [f64; 4], z: u8, n: usize) -> Result<Vec<TileId>, CommandError> {
    let err = |e: tiles::TileError| CommandError::Io(e.to_string());
    let a = TileId::containing(bounds[0], bounds[3], z).map_err(err)?;
    let b = TileId::containing(bounds[2], bounds[1], z).map_err(err)?;
    let (w, h) = (u64::from(b.x() - a.x() + 1), u64::from(b.y() - a.y() + 1));
    let total = w * h;
    let step = (total / n as u64).max(1);
    let mut out = Vec::new();
    // A stride coprime-ish with the width spreads the sample over rows and columns.
    let mut k = 0u64;
    while out.len() < n && k < total {
        let i = (k * step + (k * 7919) % step) % total;
        out.push(TileId::new(z, a.x() + (i % w) as u32, a.y() + (i / w) as u32).map_err(err)?);
        k += 1;
    }
    Ok(out)
}
