//! Vector tiles of the Grid Atlas snapshot: Mapbox Vector Tile 2.1 encoding of every atlas layer
//! with per-layer zoom rules, clipping, simplification and aggregation; a tile cache keyed by
//! snapshot version; and `TileJSON` 3.0.
//!
//! ```
//! use engine::{Dataset, Layer, Snapshot};
//! use gridatlas_tiles::{encode, TileId};
//!
//! let snapshot = Snapshot::new(1, Dataset::default());
//! let tile = TileId::new(14, 12990, 6817)?;
//! let composite = encode(&snapshot, &Layer::ALL, tile);
//! assert!(composite.is_empty()); // no data: a valid tile without layers
//! assert!(TileId::new(3, 8, 0).is_err());
//! # Ok::<(), gridatlas_tiles::TileError>(())
//! ```

pub mod archive;
mod cache;
mod encode;
mod geometry;
mod layers;
pub mod proto;
mod tile_id;
mod tilejson;

use engine::{Layer, Snapshot};

pub use cache::{gzip, CacheStats, Encoding, TileCache, TileKey, DEFAULT_CACHE_BYTES};
pub use encode::{
    aggregate_property_names, encode, encode_overlay, encode_with, property_names, EncodeOptions,
    OverlayFeature, OverlayValue, BUILDING_CELL, MAX_TILE_BYTES,
};
pub use geometry::{BUFFER, EXTENT};
pub use layers::{
    aggregate_zoom_range, generalized_zoom_range, major_way, visible_zoom_range, zoom_range,
    LayerSet, BUILDING_CELLS_MINZOOM, BUILDING_DETAIL_MINZOOM, GATES_MINZOOM, MAJOR_WAY_KINDS,
    WAYS_DETAIL_MINZOOM, WAYS_MAJOR_MINZOOM,
};
pub use tile_id::{TileError, TileId, MAX_LATITUDE, MAX_ZOOM};
pub use tilejson::{tilejson, ATTRIBUTION};

/// The extent of every feature of a snapshot as `[west, south, east, north]` degrees, for
/// `TileJSON` `bounds`; `None` when the snapshot is empty.
pub fn data_bounds(snapshot: &Snapshot) -> Option<[f64; 4]> {
    snapshot
        .extent(&Layer::ALL)
        .map(|e| [e.min().x, e.min().y, e.max().x, e.max().y])
}
