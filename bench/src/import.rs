//! The import benchmark (`gridatlas-bench import`): the synthetic city into one store in one
//! transaction, with generation time, import time and peak memory.

use std::time::Instant;

use gridatlas_server::commands::{load_dataset, open_store, CommandError};

use crate::city;
use crate::memory::peak_rss_mib;

/// Generates a synthetic city and imports it into the store at `location`; prints one line.
pub async fn run(location: &str, buildings: usize) -> Result<(), CommandError> {
    let t0 = Instant::now();
    let data = city::generate(buildings).await?;
    let generated = t0.elapsed();
    let total = data.total();
    let store = open_store(location).await?;
    let kind = store.kind();
    let t1 = Instant::now();
    let loaded = load_dataset(store.as_ref(), data).await;
    store.close().await;
    loaded?;
    let imported = t1.elapsed();
    println!(
        "bench import store={kind} buildings={buildings} features={total} generate_s={:.2} import_s={:.2} features_per_s={:.0} peak_rss_mib={:.0}",
        generated.as_secs_f64(),
        imported.as_secs_f64(),
        total as f64 / imported.as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    Ok(())
}
