//! Vector tiles from the engine's snapshot.
