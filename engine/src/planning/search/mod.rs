//! Searches on an adjacency graph with integer loads, which know nothing of communities:
//! contiguous partition under a cap ([`graph_partition`]) and max-p regions above a floor
//! ([`max_p`]). The planning files ([`super::partition`], [`super::clusters`]) build the graphs
//! from a planning context and turn the results into plans and clusters.

pub mod graph_partition;
pub mod max_p;
