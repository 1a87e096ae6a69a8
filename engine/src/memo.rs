//! Derived results memoized on one immutable snapshot: coverage, planning contexts, heatmaps
//! and the like are computed once per snapshot and dropped with it, so no cache can serve a
//! result of an older version and no module keeps a cache of its own.
//!
//! A result says what it reads ([`Reads`]); the snapshot after an edit starts with the
//! results the edit cannot change ([`Memo::carried`]): a renamed building keeps the city's
//! walking network and coverage distances, a moved one does not.

use std::any::{Any, TypeId};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::model::Layer;

/// Entries kept per snapshot; the oldest is dropped beyond this.
const KEPT: usize = 64;

type Slot = Arc<Mutex<Option<Arc<dyn Any + Send + Sync>>>>;

fn bit(layer: Layer) -> u16 {
    1 << layer as u16
}

fn bits(layers: &[Layer]) -> u16 {
    layers.iter().fold(0, |b, &l| b | bit(l))
}

/// What a memoized result reads of its snapshot: every field of some layers, and only the
/// places ([`crate::Feature::same_place`]: geometry, position in the layer, the compound a
/// building or gate belongs to) of others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    whole: u16,
    places: u16,
}

impl Reads {
    /// Everything: any edit drops the result.
    pub const EVERYTHING: Reads = Reads {
        whole: u16::MAX,
        places: 0,
    };

    /// Every field of `whole`, the places of `places`.
    pub fn of(whole: &[Layer], places: &[Layer]) -> Reads {
        Reads {
            whole: bits(whole),
            places: bits(places),
        }
    }

    fn changed_by(self, edit: &Touched) -> bool {
        self.whole & (edit.fields | edit.places) != 0 || self.places & edit.places != 0
    }
}

/// What an edit touched, layer by layer: fields, and places (moved, added or deleted); and
/// which features kept their place but changed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    fields: u16,
    places: u16,
    kept_place: Vec<(Layer, i64)>,
    /// The features that moved, were added or were deleted, as (layer, id).
    moved: Vec<(Layer, i64)>,
    /// The compounds whose gates moved, came or went (before and after the edit).
    gate_owners: Vec<i64>,
    /// Layers whose features came, went, or (buildings) joined or left a compound.
    reordered: u16,
}

impl Touched {
    /// Feature `id` of `layer` changed; `moved` when its place did (or it was added or
    /// deleted).
    pub fn feature(&mut self, layer: Layer, id: i64, moved: bool) {
        if moved {
            self.places |= bit(layer);
            self.moved.push((layer, id));
        } else {
            self.fields |= bit(layer);
            self.kept_place.push((layer, id));
        }
    }

    /// Whether nothing moved and only fields of `layers` changed.
    pub fn only_fields_of(&self, layers: &[Layer]) -> bool {
        self.places == 0 && self.fields & !bits(layers) == 0
    }

    /// Whether nothing but features of `layers` changed (in place or not).
    pub fn only_of(&self, layers: &[Layer]) -> bool {
        (self.fields | self.places) & !bits(layers) == 0
    }

    /// This change, then `next`.
    #[must_use]
    pub fn then(&self, next: &Touched) -> Touched {
        let mut both = self.clone();
        both.fields |= next.fields;
        both.places |= next.places;
        both.kept_place.extend_from_slice(&next.kept_place);
        both.moved.extend_from_slice(&next.moved);
        both.gate_owners.extend_from_slice(&next.gate_owners);
        both.reordered |= next.reordered;
        both
    }

    /// Features of `layer` came or went (or, for buildings, joined or left a compound).
    pub fn reorder(&mut self, layer: Layer) {
        self.reordered |= bit(layer);
    }

    /// Whether features of any of `layers` came or went (or buildings joined or left a
    /// compound).
    pub fn reorders(&self, layers: &[Layer]) -> bool {
        self.reordered & bits(layers) != 0
    }

    /// A gate of compound `compound` moved, came or went.
    pub fn gate_of(&mut self, compound: i64) {
        self.gate_owners.push(compound);
    }

    /// The features that changed fields in place, as (layer, id).
    pub fn kept_place(&self) -> &[(Layer, i64)] {
        &self.kept_place
    }

    /// The features that moved, were added or were deleted, as (layer, id).
    pub fn moved(&self) -> &[(Layer, i64)] {
        &self.moved
    }

    /// The compounds whose gates moved, came or went.
    pub fn gate_owners(&self) -> &[i64] {
        &self.gate_owners
    }

    /// Whether any feature of `layer` changed, in place or not.
    pub fn touches(&self, layer: Layer) -> bool {
        (self.fields | self.places) & bit(layer) != 0
    }
}

/// One memoized result.
struct Entry {
    key: (TypeId, String),
    slot: Slot,
    reads: Reads,
    /// Built from its value on the snapshot before when there is one
    /// ([`Memo::get_or_try_insert_updating`]).
    updating: bool,
}

/// Results derived from a snapshot, by type and key. Two callers asking for the same entry at
/// once compute it once: the second waits for the first.
#[derive(Default)]
pub struct Memo {
    entries: Mutex<VecDeque<Entry>>,
    /// Values of updating entries on an earlier snapshot, with what changed since, until
    /// taken.
    before: Mutex<Vec<Before>>,
}

/// An updating entry's value on an earlier snapshot and what changed since.
type Before = ((TypeId, String), Arc<dyn Any + Send + Sync>, Touched);

impl fmt::Debug for Memo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.entries.lock().map_or(0, |e| e.len());
        write!(f, "Memo({n} entries)")
    }
}

impl Memo {
    /// The `T` kept under `key`, computed by `build` the first time. An error is returned and
    /// not kept, so the next call tries again. It reads everything: no edit keeps it.
    pub fn get_or_try_insert<T, E>(
        &self,
        key: &str,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        self.get_or_try_insert_reading(key, Reads::EVERYTHING, build)
    }

    /// [`Memo::get_or_try_insert`] of a result that reads only `reads`, so the snapshot after
    /// an edit that changes none of it keeps it.
    pub fn get_or_try_insert_reading<T, E>(
        &self,
        key: &str,
        reads: Reads,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        self.kept_or_built(key, reads, false, build)
    }

    /// The `T` kept under `key`; the first time, `build` makes it from the value the snapshot
    /// before had under `key` (with what changed since), when it had one, so a result can be
    /// updated instead of computed afresh. It reads everything, so no edit keeps it as is.
    pub fn get_or_try_insert_updating<T, E>(
        &self,
        key: &str,
        build: impl FnOnce(Option<(Arc<T>, &Touched)>) -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        self.get_or_try_insert_updating_reading(key, Reads::EVERYTHING, build)
    }

    /// [`Memo::get_or_try_insert_updating`] of a result that reads only `reads`: an edit that
    /// changes none of it keeps it as is, one that does has it updated.
    pub fn get_or_try_insert_updating_reading<T, E>(
        &self,
        key: &str,
        reads: Reads,
        build: impl FnOnce(Option<(Arc<T>, &Touched)>) -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        self.kept_or_built(key, reads, true, || {
            let before = self.take_before::<T>(key);
            build(before.as_ref().map(|(v, edit)| (Arc::clone(v), edit)))
        })
    }

    /// The `T` in `key`'s slot, or the one `build` makes, kept there (the slot is locked
    /// meanwhile, so a second caller waits for it instead of building it again).
    fn kept_or_built<T, E>(
        &self,
        key: &str,
        reads: Reads,
        updating: bool,
        build: impl FnOnce() -> Result<T, E>,
    ) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        let slot = self.slot(TypeId::of::<T>(), key, reads, updating);
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

    /// Takes the `T` an earlier snapshot had under `key`, with what changed since.
    fn take_before<T: Any + Send + Sync>(&self, key: &str) -> Option<(Arc<T>, Touched)> {
        let mut before = self
            .before
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = (before.iter()).position(|(k, _, _)| k.0 == TypeId::of::<T>() && k.1 == key)?;
        let (_, value, edit) = before.swap_remove(at);
        Some((value.downcast::<T>().ok()?, edit))
    }

    fn slot(&self, type_id: TypeId, key: &str, reads: Reads, updating: bool) -> Slot {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = entries
            .iter()
            .find(|e| e.key.0 == type_id && e.key.1 == key)
        {
            return Arc::clone(&e.slot);
        }
        if entries.len() >= KEPT {
            entries.pop_front();
        }
        let slot = Slot::default();
        entries.push_back(Entry {
            key: (type_id, key.to_owned()),
            slot: Arc::clone(&slot),
            reads,
            updating,
        });
        slot
    }

    /// The memo of the snapshot after an edit that touched `edit`: the results computed so far
    /// that read nothing the edit changed (shared, not copied), and the values of the updating
    /// ones it did change, to be updated.
    pub fn carried(&self, edit: Touched) -> Memo {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A slot being computed right now is locked: it is left behind, not waited for.
        let computed = |e: &Entry| e.slot.try_lock().ok()?.clone();
        let kept = entries
            .iter()
            .filter(|e| !e.reads.changed_by(&edit))
            .filter_map(|e| {
                Some(Entry {
                    key: e.key.clone(),
                    slot: Arc::new(Mutex::new(Some(computed(e)?))),
                    reads: e.reads,
                    updating: e.updating,
                })
            })
            .collect();
        let mut before: Vec<Before> = entries
            .iter()
            .filter(|e| e.updating && e.reads.changed_by(&edit))
            .filter_map(|e| Some((e.key.clone(), computed(e)?, edit.clone())))
            .collect();
        // A value nobody asked for on this snapshot goes on from the earlier one, with this
        // edit added to what changed since.
        let earlier = self
            .before
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, value, since) in earlier.iter() {
            if !before.iter().any(|b| b.0 == *key) {
                before.push((key.clone(), Arc::clone(value), since.then(&edit)));
            }
        }
        Memo {
            entries: Mutex::new(kept),
            before: Mutex::new(before),
        }
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

    #[test]
    fn an_edit_keeps_the_results_that_read_nothing_it_changed() {
        let memo = Memo::default();
        let places = Reads::of(&[Layer::Ways], &[Layer::Buildings]);
        let distances = memo
            .get_or_try_insert_reading::<u32, ()>("distances", places, || Ok(1))
            .expect("built");
        memo.get_or_try_insert::<u32, ()>("report", || Ok(2))
            .expect("built");
        let kept = |edit: Touched| {
            let next = memo.carried(edit);
            let mut built = false;
            let d = next
                .get_or_try_insert_reading::<u32, ()>("distances", places, || {
                    built = true;
                    Ok(9)
                })
                .expect("there");
            let report_kept = next
                .get_or_try_insert::<u32, ()>("report", || Ok(9))
                .is_ok_and(|r| *r == 2);
            (!built && Arc::ptr_eq(&d, &distances), report_kept)
        };
        let mut renamed = Touched::default();
        renamed.feature(Layer::Buildings, 1, false);
        assert_eq!(kept(renamed), (true, false), "a rename keeps the distances");
        let mut moved = Touched::default();
        moved.feature(Layer::Buildings, 1, true);
        assert_eq!(kept(moved), (false, false), "a move drops them");
        let mut way = Touched::default();
        way.feature(Layer::Ways, 1, false);
        assert_eq!(kept(way), (false, false), "any change of a way drops them");
        let mut grid = Touched::default();
        grid.feature(Layer::Grids, 1, true);
        assert_eq!(kept(grid), (true, false), "a grid is not read");
        assert_eq!(
            kept(Touched::default()),
            (true, true),
            "no change keeps all"
        );
    }
}
