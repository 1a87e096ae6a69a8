//! Derived results memoized on one immutable snapshot: coverage, planning contexts, heatmaps
//! and the like are computed once per snapshot and dropped with it, so no cache can serve a
//! result of an older version and no module keeps a cache of its own.

use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Entries kept per snapshot; the oldest is dropped beyond this.
const KEPT: usize = 64;

type Slot = Arc<Mutex<Option<Arc<dyn Any + Send + Sync>>>>;

/// Results derived from a snapshot, by type and key. Two callers asking for the same entry at
/// once compute it once: the second waits for the first.
#[derive(Default)]
pub struct Memo {
    entries: Mutex<VecDeque<((TypeId, String), Slot)>>,
}

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.entries.lock().map_or(0, |e| e.len());
        write!(f, "Memo({n} entries)")
    }
}

impl Memo {
    /// The `T` kept under `key`, computed by `build` the first time. An error is returned and
    /// not kept, so the next call tries again.
    pub fn get_or_try_insert<T, E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        let slot = self.slot(TypeId::of::<T>(), key);
        let mut value = slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = value
            .as_ref()
            .and_then(|v| Arc::clone(v).downcast::<T>().ok())
        {
            return Ok(v);
        }
        let built = Arc::new(build()?);
        *value = Some(Arc::clone(&built) as Arc<dyn Any + Send + Sync>);
        Ok(built)
    }

    fn slot(&self, type_id: TypeId, key: &str) -> Slot {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, slot)) = entries.iter().find(|(k, _)| k.0 == type_id && k.1 == key) {
            return Arc::clone(slot);
        }
        if entries.len() >= KEPT {
            entries.pop_front();
        }
        let slot = Slot::default();
        entries.push_back(((type_id, key.to_owned()), Arc::clone(&slot)));
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_once_per_key_and_type_and_retries_errors() {
        let memo = Memo::default();
        let mut calls = 0;
        let a = memo
            .get_or_try_insert::<u32, ()>("k", || {
                calls += 1;
                Ok(7)
            })
            .expect("built");
        let b = memo
            .get_or_try_insert::<u32, ()>("k", || {
                calls += 1;
                Ok(8)
            })
            .expect("kept");
        assert_eq!((*a, *b, calls), (7, 7, 1));
        let s = memo
            .get_or_try_insert::<String, ()>("k", || Ok("other type".into()))
            .expect("a second type under the same key");
        assert_eq!(s.as_str(), "other type");
        assert!(memo
            .get_or_try_insert::<i64, &str>("e", || Err("no"))
            .is_err());
        let retried = memo
            .get_or_try_insert::<i64, &str>("e", || Ok(3))
            .expect("an error is not kept");
        assert_eq!(*retried, 3);
    }
}
