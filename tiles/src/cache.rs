//! A bounded, thread-safe tile cache keyed by snapshot version, layer set, tile and encoding.
//!
//! The snapshot version is part of the key, so a tile of an older version is never served for a
//! newer snapshot: after an edit every request simply misses until its tile is encoded again, and
//! the old entries age out (or go at once with [`TileCache::retain_version`]). Entries are
//! evicted least recently used first when the cached bytes exceed the budget.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use engine::Snapshot;

use crate::encode::{encode_with, EncodeOptions};
use crate::layers::LayerSet;
use crate::{TileError, TileId};

/// Default cache budget: 256 MiB of tiles.
pub const DEFAULT_CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Bytes counted for an entry besides its tile (key, map and order slots).
const ENTRY_OVERHEAD: usize = 128;
/// Budget per shard above which the cache is split into shards (each with its own lock).
const SHARD_BYTES: usize = 8 * 1024 * 1024;
const MAX_SHARDS: usize = 16;

/// The content coding of a cached tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// The plain MVT bytes.
    Identity,
    /// Gzip-compressed (`Content-Encoding: gzip`).
    Gzip,
}

/// What a cached tile is: a snapshot version, a layer set, a tile and a coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileKey {
    pub version: i64,
    pub layers: LayerSet,
    pub tile: TileId,
    pub encoding: Encoding,
}

/// Counters of a cache, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub entries: usize,
    /// Bytes counted against the budget (tiles plus a fixed overhead per entry).
    pub bytes: usize,
    pub max_bytes: usize,
}

/// A bounded LRU cache of encoded tiles, shared between threads.
#[derive(Debug)]
pub struct TileCache {
    shards: Box<[Mutex<Shard>]>,
    hasher: std::collections::hash_map::RandomState,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Debug, Default)]
struct Shard {
    map: HashMap<TileKey, (Bytes, u64)>,
    /// Entries by last use, oldest first.
    order: BTreeMap<u64, TileKey>,
    tick: u64,
    bytes: usize,
    max_bytes: usize,
}

impl Shard {
    fn get(&mut self, key: &TileKey) -> Option<Bytes> {
        self.tick += 1;
        let tick = self.tick;
        let (tile, used) = self.map.get_mut(key)?;
        self.order.remove(used);
        *used = tick;
        self.order.insert(tick, *key);
        Some(tile.clone())
    }

    fn insert(&mut self, key: TileKey, tile: Bytes) {
        let size = tile.len() + ENTRY_OVERHEAD;
        if size > self.max_bytes {
            return;
        }
        self.remove(&key);
        self.tick += 1;
        self.order.insert(self.tick, key);
        self.map.insert(key, (tile, self.tick));
        self.bytes += size;
        while self.bytes > self.max_bytes {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some((t, _)) = self.map.remove(&oldest) {
                self.bytes -= t.len() + ENTRY_OVERHEAD;
            }
        }
    }

    fn remove(&mut self, key: &TileKey) {
        if let Some((t, used)) = self.map.remove(key) {
            self.order.remove(&used);
            self.bytes -= t.len() + ENTRY_OVERHEAD;
        }
    }
}

impl Default for TileCache {
    fn default() -> Self {
        TileCache::new(DEFAULT_CACHE_BYTES)
    }
}

impl TileCache {
    /// A cache holding at most `max_bytes` of tiles (plus a small overhead per entry counted in).
    pub fn new(max_bytes: usize) -> Self {
        let n = (max_bytes / SHARD_BYTES).clamp(1, MAX_SHARDS);
        let shards = (0..n)
            .map(|_| {
                Mutex::new(Shard {
                    max_bytes: max_bytes / n,
                    ..Shard::default()
                })
            })
            .collect();
        TileCache {
            shards,
            hasher: std::collections::hash_map::RandomState::new(),
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn shard(&self, key: &TileKey) -> MutexGuard<'_, Shard> {
        let i = if self.shards.len() == 1 {
            0
        } else {
            (self.hasher.hash_one(key) as usize) % self.shards.len()
        };
        self.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached tile, if any; counts a hit or a miss.
    pub fn get(&self, key: &TileKey) -> Option<Bytes> {
        let found = self.shard(key).get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Caches a tile (a tile larger than a shard's budget is not kept).
    pub fn insert(&self, key: TileKey, tile: Bytes) {
        self.shard(&key).insert(key, tile);
    }

    /// The cached tile, or the one `make` builds (then cached). `make` runs without any lock
    /// held, so two threads missing the same key at once may both build it.
    pub fn get_or_insert_with<E>(
        &self,
        key: TileKey,
        make: impl FnOnce() -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some(t) = self.get(&key) {
            return Ok(t);
        }
        let tile = make()?;
        self.insert(key, tile.clone());
        Ok(tile)
    }

    /// The tile of `layers` at `tile` for `snapshot` in `encoding`, from the cache or encoded
    /// (with the default [`EncodeOptions`]) and cached. A gzip miss reuses a cached plain tile.
    pub fn tile(
        &self,
        snapshot: &Snapshot,
        layers: LayerSet,
        tile: TileId,
        encoding: Encoding,
    ) -> Result<Bytes, TileError> {
        let key = TileKey {
            version: snapshot.version,
            layers,
            tile,
            encoding,
        };
        self.get_or_insert_with(key, || match encoding {
            Encoding::Identity => Ok(Bytes::from(encode_with(
                snapshot,
                layers,
                tile,
                &EncodeOptions::default(),
            ))),
            Encoding::Gzip => {
                let plain = self.tile(snapshot, layers, tile, Encoding::Identity)?;
                gzip(&plain)
                    .map(Bytes::from)
                    .map_err(|source| TileError::Compression { tile, source })
            }
        })
    }

    /// Drops every entry of a version other than `version` (call after swapping snapshots).
    pub fn retain_version(&self, version: i64) {
        for shard in &*self.shards {
            let mut s = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let stale: Vec<TileKey> = s
                .map
                .keys()
                .filter(|k| k.version != version)
                .copied()
                .collect();
            for k in stale {
                s.remove(&k);
            }
        }
    }

    /// Empties the cache (the counters stay).
    pub fn clear(&self) {
        for shard in &*self.shards {
            let mut s = shard.lock().unwrap_or_else(PoisonError::into_inner);
            s.map.clear();
            s.order.clear();
            s.bytes = 0;
        }
    }

    pub fn stats(&self) -> CacheStats {
        let mut stats = CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            max_bytes: self.max_bytes,
            ..CacheStats::default()
        };
        for shard in &*self.shards {
            let s = shard.lock().unwrap_or_else(PoisonError::into_inner);
            stats.entries += s.map.len();
            stats.bytes += s.bytes;
        }
        stats
    }
}

/// Gzip-compresses a tile (default level).
pub fn gzip(tile: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(tile.len() / 2 + 64),
        flate2::Compression::default(),
    );
    e.write_all(tile)?;
    e.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use engine::Layer;

    fn key(version: i64, x: u32) -> TileKey {
        TileKey {
            version,
            layers: LayerSet::ALL,
            tile: TileId::new(10, x, 0).unwrap(),
            encoding: Encoding::Identity,
        }
    }

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        let cache = TileCache::new(3 * (1000 + ENTRY_OVERHEAD));
        for x in 0..3 {
            cache.insert(key(1, x), Bytes::from(vec![0u8; 1000]));
        }
        assert!(cache.get(&key(1, 0)).is_some()); // 0 is now the most recent
        cache.insert(key(1, 3), Bytes::from(vec![0u8; 1000]));
        assert!(
            cache.get(&key(1, 1)).is_none(),
            "the least recently used entry goes first"
        );
        assert!(
            cache.get(&key(1, 0)).is_some()
                && cache.get(&key(1, 2)).is_some()
                && cache.get(&key(1, 3)).is_some()
        );
        let s = cache.stats();
        assert_eq!(s.entries, 3);
        assert!(s.bytes <= s.max_bytes);
        assert_eq!((s.hits, s.misses), (4, 1));
    }

    #[test]
    fn a_new_version_misses_and_old_versions_can_be_dropped() {
        let cache = TileCache::new(1 << 20);
        cache.insert(key(1, 0), Bytes::from_static(b"old"));
        assert!(cache.get(&key(2, 0)).is_none());
        cache.insert(key(2, 0), Bytes::from_static(b"new"));
        cache.retain_version(2);
        assert!(cache.get(&key(1, 0)).is_none());
        assert_eq!(cache.get(&key(2, 0)).as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn serves_encoded_and_gzipped_tiles_by_snapshot_version() {
        use std::io::Read;
        let cache = TileCache::new(1 << 20);
        let snap = Snapshot::new(7, engine::Dataset::default());
        let t = TileId::new(14, 12990, 6817).unwrap();
        let plain = cache
            .tile(
                &snap,
                LayerSet::single(Layer::Stations),
                t,
                Encoding::Identity,
            )
            .unwrap();
        let zipped = cache
            .tile(&snap, LayerSet::single(Layer::Stations), t, Encoding::Gzip)
            .unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, plain.to_vec());
        assert_eq!(cache.stats().entries, 2);
    }

    #[test]
    fn is_shared_between_threads() {
        let cache = std::sync::Arc::new(TileCache::new(64 << 20));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let c = cache.clone();
                std::thread::spawn(move || {
                    for x in 0..200 {
                        c.insert(key(i, x), Bytes::from(vec![1u8; 100]));
                        assert!(c.get(&key(i, x)).is_some());
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(cache.stats().entries, 800);
    }
}
