//! The demo district and the synthetic-city generator.
