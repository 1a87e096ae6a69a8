//! The synthetic city every benchmark but the load run measures on: generated off the async
//! runtime, and for the PostGIS benchmarks loaded into an empty database and analysed.

use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::{load_dataset, CommandError};
use gridatlas_server::store::postgis::PostGis;
use gridatlas_server::store::StoreError;
use sqlx::PgPool;

/// Generates the synthetic city of `buildings` buildings (seed 1, the same city every run).
pub async fn generate(buildings: usize) -> Result<engine::Dataset, CommandError> {
    tokio::task::spawn_blocking(move || data::synthetic_city(buildings, 1))
        .await
        .map_err(|e| CommandError::Io(e.to_string()))
}

/// Loads the city into the empty PostGIS database at `database_url`, analyses it so the planner
/// sees real statistics, and opens the atlas on it. The pool stays usable for raw queries.
pub async fn into_postgis(
    database_url: &str,
    buildings: usize,
) -> Result<(Atlas, PgPool), CommandError> {
    println!("generating the synthetic city ({buildings} buildings) and loading it into PostGIS …");
    let data = generate(buildings).await?;
    let store = PostGis::connect(database_url).await?;
    let pool = store.pool().clone();
    let t0 = std::time::Instant::now();
    load_dataset(&store, data).await?;
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .map_err(StoreError::from)?;
    println!("loaded in {:.1} s", t0.elapsed().as_secs_f64());
    let atlas = Atlas::open(Box::new(store)).await?;
    Ok((atlas, pool))
}
