//! `gridatlas export --tiles`: the whole atlas's tiles as one `PMTiles` archive
//! ([`tiles::archive`]), written beside the target and moved into place when complete. With
//! `--update` an existing archive is brought to the store's data version by encoding again only
//! the tiles an edit since its version touched — the bounding boxes of every feature the audit
//! log records changed, before and after, with each tile's buffer — and copying the rest.

use std::path::Path;

use engine::{Layer, Snapshot};
use geo::BoundingRect;
use tiles::archive::{tile_range, tile_reach, write_pmtiles, ArchiveStats};
use tiles::TileId;

use crate::commands::CommandError;
use crate::store::{AuditEntry, AuditQuery, Store};

/// What an update may keep of an earlier archive.
struct Earlier {
    reader: pmtiles::AsyncPmTilesReader<pmtiles::MmapBackend>,
    zooms: (u8, u8),
    bounds: [f64; 4],
    /// Lon/lat boxes of everything changed since the archive's data version.
    changed: Vec<[f64; 4]>,
}

fn io(e: impl std::fmt::Display) -> CommandError {
    CommandError::Io(e.to_string())
}

/// `export --tiles` (and `--update`): writes the archive and prints what it holds.
pub async fn export_tiles(
    store: Box<dyn Store>,
    archive: &Path,
    layer: Option<Layer>,
    zooms: (u8, u8),
    update: bool,
) -> Result<(), CommandError> {
    let started = std::time::Instant::now();
    let loaded = store.load_all().await?;
    let earlier = if update && archive.exists() {
        earlier(store.as_ref(), archive, loaded.version).await?
    } else {
        None
    };
    store.close().await;
    let loaded_s = started.elapsed().as_secs_f64();
    let layers: Vec<Layer> = layer.map_or_else(|| Layer::ALL.to_vec(), |l| vec![l]);
    let path = archive.to_owned();
    let handle = tokio::runtime::Handle::current();
    let (version, stats, mode) = tokio::task::spawn_blocking(move || {
        let snapshot = Snapshot::new(loaded.version, loaded.data);
        let mode = match &earlier {
            Some(e) => format!(
                "updated from the earlier archive, {} change(s) since",
                e.changed.len()
            ),
            None => "whole".to_owned(),
        };
        let stats = write(&snapshot, &layers, zooms, earlier.as_ref(), &handle, &path)?;
        Ok::<_, CommandError>((snapshot.version, stats, mode))
    })
    .await
    .map_err(|e| CommandError::Io(format!("tile export failed: {e}")))??;
    let size = std::fs::metadata(archive).map_or(0, |m| m.len());
    for (z, n, secs) in &stats.zooms {
        println!("  z{z}: {n} tiles in {secs:.2} s");
    }
    println!(
        "kept {} tiles of the earlier archive, encoded {}",
        stats.reused,
        stats.tiles + stats.empty - stats.reused
    );
    println!(
        "wrote {} tiles (zooms {}–{}; {} empty left out; {mode}) of data version {version} to {}: {:.1} MiB in {:.2} s ({loaded_s:.2} s loading)",
        stats.tiles,
        zooms.0,
        zooms.1,
        stats.empty,
        archive.display(),
        size as f64 / 1_048_576.0,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn write(
    snapshot: &Snapshot,
    layers: &[Layer],
    zooms: (u8, u8),
    earlier: Option<&Earlier>,
    handle: &tokio::runtime::Handle,
    path: &Path,
) -> Result<ArchiveStats, CommandError> {
    let set = tiles::LayerSet::of(layers);
    let bounds = tiles::data_bounds(snapshot).unwrap_or([0.0; 4]);
    let center = [
        (bounds[0] + bounds[2]) / 2.0,
        (bounds[1] + bounds[3]) / 2.0,
        f64::from(zooms.1.saturating_sub(2)),
    ];
    let name = if layers.len() == Layer::ALL.len() {
        "atlas"
    } else {
        layers[0].name()
    };
    let mut metadata = tiles::tilejson(name, "{z}/{x}/{y}", layers, bounds, center);
    metadata["data_version"] = serde_json::json!(snapshot.version);
    let reuse = |t: TileId| -> Option<Option<Vec<u8>>> {
        let e = earlier?;
        let inside = (e.zooms.0..=e.zooms.1).contains(&t.z()) && {
            let (x0, x1, y0, y1) = tile_range(e.bounds, t.z());
            (x0..=x1).contains(&t.x()) && (y0..=y1).contains(&t.y())
        };
        if !inside || e.changed.iter().any(|c| overlaps(tile_reach(t), *c)) {
            return None;
        }
        let coord = pmtiles::TileCoord::new(t.z(), t.x(), t.y()).ok()?;
        let bytes = handle.block_on(e.reader.get_tile(coord)).ok()?;
        Some(bytes.map(|b| b.to_vec()))
    };
    let partial = path.with_extension("pmtiles.partial");
    let file =
        std::fs::File::create(&partial).map_err(|e| io(format!("{}: {e}", partial.display())))?;
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let stats = write_pmtiles(
        snapshot,
        set,
        zooms,
        &metadata,
        threads,
        &reuse,
        std::io::BufWriter::new(file),
    )
    .map_err(io)?;
    std::fs::rename(&partial, path).map_err(|e| io(format!("{}: {e}", path.display())))?;
    Ok(stats)
}

/// The earlier archive at `path` and what changed since its data version, or `None` (after
/// saying why) when it must be written whole.
async fn earlier(
    store: &dyn Store,
    path: &Path,
    version: i64,
) -> Result<Option<Earlier>, CommandError> {
    let reader = pmtiles::AsyncPmTilesReader::new_with_path(path)
        .await
        .map_err(|e| io(format!("{}: not a PMTiles archive: {e}", path.display())))?;
    let metadata: serde_json::Value =
        serde_json::from_str(&reader.get_metadata().await.map_err(io)?).unwrap_or_default();
    let Some(since) = metadata["data_version"].as_i64() else {
        println!(
            "{}: no data version in its metadata; writing it whole",
            path.display()
        );
        return Ok(None);
    };
    let h = reader.get_header();
    let zooms = (h.min_zoom, h.max_zoom);
    // The exact bounds the tiles were chosen over (the header keeps them rounded).
    let Some(bounds) = metadata["bounds"]
        .as_array()
        .and_then(|b| {
            b.iter()
                .map(serde_json::Value::as_f64)
                .collect::<Option<Vec<f64>>>()
        })
        .and_then(|b| <[f64; 4]>::try_from(b).ok())
    else {
        println!(
            "{}: no bounds in its metadata; writing it whole",
            path.display()
        );
        return Ok(None);
    };
    let entries: Vec<AuditEntry> = store
        .audit(&AuditQuery {
            limit: i64::MAX,
            ..AuditQuery::default()
        })
        .await?
        .into_iter()
        .filter(|e| e.data_version > since && e.data_version <= version)
        .filter(|e| {
            e.layer
                .as_deref()
                .is_none_or(|l| Layer::from_name(l).is_some())
        })
        .collect();
    let mut changed = Vec::new();
    for e in &entries {
        let boxes: Vec<[f64; 4]> = [&e.before, &e.after]
            .into_iter()
            .flatten()
            .filter_map(feature_box)
            .collect();
        if e.feature_id.is_none() || (boxes.is_empty() && (e.before.is_some() || e.after.is_some()))
        {
            println!(
                "{}: a bulk change at data version {} keeps no shapes in the audit log; writing it whole",
                path.display(),
                e.data_version
            );
            return Ok(None);
        }
        changed.extend(boxes);
    }
    Ok(Some(Earlier {
        reader,
        zooms,
        bounds,
        changed,
    }))
}

/// The lon/lat box of a feature as the audit log keeps it (GeoJSON; only its shape is read).
fn feature_box(v: &serde_json::Value) -> Option<[f64; 4]> {
    let gj: geojson::Feature = serde_json::from_value(v.clone()).ok()?;
    let shape = geo_types::Geometry::<f64>::try_from(gj.geometry?).ok()?;
    let r = shape.bounding_rect()?;
    Some([r.min().x, r.min().y, r.max().x, r.max().y])
}

fn overlaps(a: [f64; 4], b: [f64; 4]) -> bool {
    a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]
}
