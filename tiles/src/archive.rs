//! The whole atlas as one static archive: every tile of a layer set from `minzoom` to `maxzoom`
//! over the data's extent, in a `PMTiles` v3 archive with gzip tiles and `TileJSON` metadata —
//! the very bytes the server sends for `Accept-Encoding: gzip` — for martin or any static host.

use std::io::{Seek, Write};
use std::time::Instant;

use engine::Snapshot;
use pmtiles::{Compression, PmTilesWriter, TileCoord, TileType};

use crate::{data_bounds, encode_with, gzip, EncodeOptions, LayerSet, TileError, TileId};

/// What an archive holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiveStats {
    /// Tiles written (empty tiles are left out, as the spec asks).
    pub tiles: usize,
    /// Tiles over the extent that held nothing.
    pub empty: usize,
    /// Gzip bytes of the tiles written.
    pub tile_bytes: u64,
    /// Tiles taken from an earlier archive instead of encoded.
    pub reused: usize,
    /// Per zoom: tiles written and seconds spent.
    pub zooms: Vec<(u8, usize, f64)>,
}

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error(transparent)]
    Tile(#[from] TileError),
    #[error("writing the PMTiles archive: {0}")]
    Write(String),
    #[error("zooms {0}–{1}: the archive holds zooms 0 to 22, the smallest first")]
    Zooms(u8, u8),
}

/// The columns and rows (`x0, x1, y0, y1`, inclusive) of the tiles of zoom `z` over lon/lat
/// `bounds` (west, south, east, north).
pub fn tile_range(bounds: [f64; 4], z: u8) -> (u32, u32, u32, u32) {
    let n = 1u32 << z;
    let column = |lon: f64| {
        (((lon + 180.0) / 360.0 * f64::from(n)).floor() as i64).clamp(0, i64::from(n) - 1) as u32
    };
    let row = |lat: f64| {
        let lat = lat
            .clamp(-crate::MAX_LATITUDE, crate::MAX_LATITUDE)
            .to_radians();
        let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
        ((y * f64::from(n)).floor() as i64).clamp(0, i64::from(n) - 1) as u32
    };
    (
        column(bounds[0]),
        column(bounds[2]),
        row(bounds[3]),
        row(bounds[1]),
    )
}

/// The tiles of zoom `z` over lon/lat `bounds` (west, south, east, north), in `PMTiles` id order.
pub fn tiles_over(bounds: [f64; 4], z: u8) -> Vec<TileId> {
    let (x0, x1, y0, y1) = tile_range(bounds, z);
    let mut out: Vec<(u64, TileId)> = (x0..=x1)
        .flat_map(|x| (y0..=y1).map(move |y| (x, y)))
        .filter_map(|(x, y)| {
            let id = TileCoord::new(z, x, y)
                .ok()
                .map(|c| pmtiles::TileId::from(c).value())?;
            Some((id, TileId::new(z, x, y).ok()?))
        })
        .collect();
    out.sort_unstable_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, t)| t).collect()
}

/// The gzip tile of `layers` at `tile`, as the server sends it (`None` when empty).
pub fn archived_tile(
    snapshot: &Snapshot,
    layers: LayerSet,
    tile: TileId,
) -> Result<Option<Vec<u8>>, TileError> {
    let plain = encode_with(snapshot, layers, tile, &EncodeOptions::default());
    if plain.is_empty() {
        return Ok(None);
    }
    gzip(&plain)
        .map(Some)
        .map_err(|source| TileError::Compression { tile, source })
}

/// A tile an earlier archive already holds as it should be: `Some(bytes)` (`Some(None)` for a
/// tile that is empty), or `None` to encode it.
pub type Reuse<'a> = dyn Fn(TileId) -> Option<Option<Vec<u8>>> + Sync + 'a;

/// Writes the archive of `layers` from `minzoom` to `maxzoom` to `out`, encoding the tiles of each
/// zoom on `threads` threads — except those `reuse` gives as they are. `metadata` is the
/// `TileJSON` document (its `vector_layers` are what readers show).
pub fn write_pmtiles<W: Write + Seek>(
    snapshot: &Snapshot,
    layers: LayerSet,
    (minzoom, maxzoom): (u8, u8),
    metadata: &serde_json::Value,
    threads: usize,
    reuse: &Reuse,
    out: W,
) -> Result<ArchiveStats, ArchiveError> {
    if minzoom > maxzoom || maxzoom > crate::MAX_ZOOM {
        return Err(ArchiveError::Zooms(minzoom, maxzoom));
    }
    let write = |e: pmtiles::PmtError| ArchiveError::Write(e.to_string());
    let bounds = data_bounds(snapshot).unwrap_or([0.0, 0.0, 0.0, 0.0]);
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .tile_compression(Compression::Gzip)
        .internal_compression(Compression::Gzip)
        .min_zoom(minzoom)
        .max_zoom(maxzoom)
        .bounds(bounds[0], bounds[1], bounds[2], bounds[3])
        .center((bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0)
        .center_zoom(minzoom.max(maxzoom.saturating_sub(2)))
        .metadata(&metadata.to_string())
        .create(out)
        .map_err(write)?;
    let mut stats = ArchiveStats::default();
    for z in minzoom..=maxzoom {
        let started = Instant::now();
        let tiles = tiles_over(bounds, z);
        let encoded = encode_all(snapshot, layers, &tiles, threads.max(1), reuse)?;
        let mut written = 0;
        for (tile, (data, reused)) in tiles.iter().zip(encoded) {
            stats.reused += usize::from(reused);
            match data {
                Some(bytes) => {
                    let coord = TileCoord::new(tile.z(), tile.x(), tile.y()).map_err(write)?;
                    writer.add_raw_tile(coord, &bytes).map_err(write)?;
                    stats.tile_bytes += bytes.len() as u64;
                    written += 1;
                }
                None => stats.empty += 1,
            }
        }
        stats.tiles += written;
        stats
            .zooms
            .push((z, written, started.elapsed().as_secs_f64()));
    }
    writer.finalize().map_err(write)?;
    Ok(stats)
}

/// The archived tiles of `tiles`, in order, each with whether it was reused, encoded on
/// `threads` threads.
#[allow(clippy::type_complexity)]
fn encode_all(
    snapshot: &Snapshot,
    layers: LayerSet,
    tiles: &[TileId],
    threads: usize,
    reuse: &Reuse,
) -> Result<Vec<(Option<Vec<u8>>, bool)>, TileError> {
    let chunk = tiles.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = tiles
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|t| match reuse(*t) {
                            Some(kept) => Ok((kept, true)),
                            None => archived_tile(snapshot, layers, *t).map(|d| (d, false)),
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tiles.len());
        for h in handles {
            out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))?);
        }
        Ok(out)
    })
}

/// The lon/lat rectangle tile `t` draws, with the buffer around it that its features reach into.
pub fn tile_reach(t: TileId) -> [f64; 4] {
    let n = f64::from(1u32 << t.z());
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    let pad = f64::from(crate::BUFFER) / f64::from(crate::EXTENT);
    let (x, y) = (f64::from(t.x()), f64::from(t.y()));
    [
        lon(x - pad),
        lat(y + 1.0 + pad),
        lon(x + 1.0 + pad),
        lat(y - pad),
    ]
}
