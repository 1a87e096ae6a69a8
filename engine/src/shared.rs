//! One layer's features in fixed-size pieces shared between snapshots (copy on write per
//! piece): the snapshot after an edit of one building shares every piece of the buildings but
//! the one that building is in, so an edit copies about a thousand features, not a million.

use std::ops::{Index, IndexMut};
use std::sync::Arc;

use rayon::prelude::*;

/// Features a piece holds (a power of two, so a position splits into piece and offset by
/// shifting).
const PIECE_BITS: u32 = 10;
const PIECE: usize = 1 << PIECE_BITS;

/// A layer's features in order, held in pieces of [`PIECE`] features (the last one may be
/// shorter). Cloning copies one pointer a piece; changing a feature copies its piece alone when
/// another layer shares it.
pub struct Shared<T> {
    pieces: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared {
            pieces: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared {
            pieces: self.pieces.clone(),
            len: self.len,
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Clone> From<Vec<T>> for Shared<T> {
    fn from(features: Vec<T>) -> Self {
        features.into_iter().collect()
    }
}

impl<T: Clone> FromIterator<T> for Shared<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut shared = Shared::default();
        shared.extend(iter);
        shared
    }
}

impl<T> Shared<T> {
    /// Number of features.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The feature at position `i`.
    pub fn get(&self, i: usize) -> Option<&T> {
        self.pieces.get(i >> PIECE_BITS)?.get(i & (PIECE - 1))
    }

    /// Removes every feature.
    pub fn clear(&mut self) {
        self.pieces.clear();
        self.len = 0;
    }

    /// The first feature.
    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// The last feature.
    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// The features in order.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            pieces: self.pieces.iter(),
            front: [].iter(),
            back: [].iter(),
            remaining: self.len,
        }
    }

    /// The features in order, in parallel (indexed: it zips and enumerates).
    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = &T> + '_
    where
        T: Sync + Send,
    {
        (0..self.len).into_par_iter().map(move |i| &self[i])
    }

    /// Whether `other` is this very layer: every piece the same one, not a copy.
    pub fn same(&self, other: &Shared<T>) -> bool {
        self.len == other.len
            && self
                .pieces
                .iter()
                .zip(&other.pieces)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }

    /// How many of this layer's pieces are not pieces of `other` (the pieces an edit copied).
    #[cfg(test)]
    fn pieces_apart_from(&self, other: &Shared<T>) -> usize {
        self.pieces
            .iter()
            .filter(|a| !other.pieces.iter().any(|b| Arc::ptr_eq(a, b)))
            .count()
    }
}

impl<T: Clone> Shared<T> {
    /// The feature at position `i`, to change (its piece copied first if it is shared).
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        let piece = self.pieces.get_mut(i >> PIECE_BITS)?;
        Arc::make_mut(piece).get_mut(i & (PIECE - 1))
    }

    /// Adds a feature at the end.
    pub fn push(&mut self, feature: T) {
        self.extend(std::iter::once(feature));
    }

    /// Adds features at the end: into the last piece while it has room (copied first if it is
    /// shared), then into new pieces.
    pub fn extend(&mut self, features: impl IntoIterator<Item = T>) {
        let mut features = features.into_iter().peekable();
        while features.peek().is_some() {
            if self.pieces.last().is_none_or(|p| p.len() == PIECE) {
                self.pieces.push(Arc::new(Vec::with_capacity(PIECE)));
            }
            let last = Arc::make_mut(self.pieces.last_mut().expect("a last piece"));
            let before = last.len();
            last.extend(features.by_ref().take(PIECE - before));
            self.len += last.len() - before;
        }
    }

    /// Keeps the features for which `keep` holds, in order. A layer that drops none is left
    /// as it is; otherwise the pieces before the first one dropped stay shared and the rest are
    /// laid out again.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let Some(first) = self.iter().position(|f| !keep(f)) else {
            return;
        };
        let kept_pieces = first >> PIECE_BITS;
        let start = kept_pieces << PIECE_BITS;
        let rest: Vec<T> = self
            .iter()
            .skip(start)
            .enumerate()
            .filter(|(n, f)| start + n != first && keep(f))
            .map(|(_, f)| f.clone())
            .collect();
        self.pieces.truncate(kept_pieces);
        self.len = start;
        self.extend(rest);
    }

    /// The features in order, to change (every piece copied first if it is shared).
    pub fn iter_mut(&mut self) -> IterMut<'_, T> {
        fn own<T: Clone>(piece: &mut Arc<Vec<T>>) -> std::slice::IterMut<'_, T> {
            Arc::make_mut(piece).iter_mut()
        }
        self.pieces
            .iter_mut()
            .flat_map(own as fn(&mut Arc<Vec<T>>) -> std::slice::IterMut<'_, T>)
    }

    /// The features as one vector (copied).
    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

/// The features of a [`Shared`] layer in order.
pub struct Iter<'a, T> {
    pieces: std::slice::Iter<'a, Arc<Vec<T>>>,
    front: std::slice::Iter<'a, T>,
    back: std::slice::Iter<'a, T>,
    remaining: usize,
}

impl<T> Clone for Iter<'_, T> {
    fn clone(&self) -> Self {
        Iter {
            pieces: self.pieces.clone(),
            front: self.front.clone(),
            back: self.back.clone(),
            remaining: self.remaining,
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(f) = self.front.next() {
                self.remaining -= 1;
                return Some(f);
            }
            match self.pieces.next() {
                Some(piece) => self.front = piece.iter(),
                None => {
                    let f = self.back.next()?;
                    self.remaining -= 1;
                    return Some(f);
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    fn nth(&mut self, mut n: usize) -> Option<&'a T> {
        // Whole pieces are skipped without visiting their features.
        loop {
            let in_front = self.front.len();
            if n < in_front {
                self.remaining -= n + 1;
                return self.front.nth(n);
            }
            n -= in_front;
            self.remaining -= in_front;
            self.front = [].iter();
            match self.pieces.next() {
                Some(piece) => self.front = piece.iter(),
                None => {
                    let skip = n.min(self.back.len());
                    self.remaining -= skip;
                    let f = self.back.nth(n)?;
                    self.remaining -= 1;
                    return Some(f);
                }
            }
        }
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(f) = self.back.next_back() {
                self.remaining -= 1;
                return Some(f);
            }
            match self.pieces.next_back() {
                Some(piece) => self.back = piece.iter(),
                None => {
                    let f = self.front.next_back()?;
                    self.remaining -= 1;
                    return Some(f);
                }
            }
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}
impl<T> std::iter::FusedIterator for Iter<'_, T> {}

/// The features of a [`Shared`] layer in order, to change.
pub type IterMut<'a, T> = std::iter::FlatMap<
    std::slice::IterMut<'a, Arc<Vec<T>>>,
    std::slice::IterMut<'a, T>,
    fn(&'a mut Arc<Vec<T>>) -> std::slice::IterMut<'a, T>,
>;

/// The features of a [`Shared`] layer, taken (each piece moved out, or copied if shared).
pub type IntoIter<T> = std::iter::FlatMap<
    std::vec::IntoIter<Arc<Vec<T>>>,
    std::vec::IntoIter<T>,
    fn(Arc<Vec<T>>) -> std::vec::IntoIter<T>,
>;

impl<T> Index<usize> for Shared<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(f) => f,
            None => panic!("position {i} past the end of a layer of {}", self.len),
        }
    }
}

impl<T: Clone> IndexMut<usize> for Shared<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len;
        match self.get_mut(i) {
            Some(f) => f,
            None => panic!("position {i} past the end of a layer of {len}"),
        }
    }
}

impl<'a, T> IntoIterator for &'a Shared<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: Clone> IntoIterator for &'a mut Shared<T> {
    type Item = &'a mut T;
    type IntoIter = IterMut<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl<T: Clone> IntoIterator for Shared<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        fn take<T: Clone>(piece: Arc<Vec<T>>) -> std::vec::IntoIter<T> {
            Arc::unwrap_or_clone(piece).into_iter()
        }
        self.pieces
            .into_iter()
            .flat_map(take as fn(Arc<Vec<T>>) -> std::vec::IntoIter<T>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn behaves_as_a_vector_under_random_pushes_sets_retains_and_iteration() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut shared: Shared<u32> = Shared::default();
        let mut plain: Vec<u32> = Vec::new();
        let mut kept: Vec<(Shared<u32>, Vec<u32>)> = Vec::new();
        for step in 0..400 {
            match rng.random_range(0..10) {
                0..=3 => {
                    let n = rng.random_range(0..3 * PIECE);
                    let new: Vec<u32> = (0..n).map(|_| rng.random()).collect();
                    shared.extend(new.iter().copied());
                    plain.extend(new);
                }
                4 => {
                    let v = rng.random();
                    shared.push(v);
                    plain.push(v);
                }
                5..=7 if !plain.is_empty() => {
                    let i = rng.random_range(0..plain.len());
                    let v = rng.random();
                    shared[i] = v;
                    plain[i] = v;
                }
                8 => {
                    let m = rng.random_range(2..50);
                    shared.retain(|v| v % m != 0);
                    plain.retain(|v| v % m != 0);
                }
                _ => kept.push((shared.clone(), plain.clone())),
            }
            assert_eq!(shared.len(), plain.len(), "step {step}");
            assert!(shared.iter().eq(plain.iter()), "step {step}");
        }
        // Copies taken along the way never saw a later change.
        for (s, p) in &kept {
            assert!(s.iter().eq(p.iter()));
            assert!(s.iter().rev().eq(p.iter().rev()));
            assert_eq!(s.par_iter().copied().collect::<Vec<_>>(), *p);
            for n in [0, 1, 7, PIECE - 1, PIECE, PIECE + 3, 5 * PIECE] {
                assert_eq!(s.iter().nth(n), p.get(n), "nth {n}");
                assert_eq!(
                    s.iter().step_by(n + 1).collect::<Vec<_>>(),
                    p.iter().step_by(n + 1).collect::<Vec<_>>()
                );
            }
            assert_eq!(s.clone().into_iter().collect::<Vec<_>>(), *p);
            assert_eq!(s.iter().len(), p.len());
        }
    }

    #[test]
    fn a_change_copies_the_piece_it_touches_alone() {
        let layer: Shared<u64> = (0..100 * PIECE as u64).collect();
        let mut edited = layer.clone();
        edited[57 * PIECE + 3] = 0;
        assert_eq!(edited.pieces_apart_from(&layer), 1);
        assert_eq!(layer[57 * PIECE + 3], 57 * PIECE as u64 + 3);
        let mut appended = layer.clone();
        appended.push(7);
        assert_eq!(appended.pieces_apart_from(&layer), 1);
        let mut shortened = layer.clone();
        let gone = 98 * PIECE as u64 + 1;
        shortened.retain(|&v| v != gone);
        assert_eq!(shortened.pieces_apart_from(&layer), 2);
        assert!(layer.clone().same(&layer));
    }
}
