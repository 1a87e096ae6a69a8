//! The coverage benchmark (`gridatlas-bench coverage`): full recompute of every service type on
//! the synthetic city in the engine, against the equivalent PostGIS KNN queries (nearest counting
//! facility of every compound and scattered building, per service) on the same data.

use std::sync::Arc;
use std::time::Instant;

use engine::analysis::{CountedNames, Coverage, ServiceStandard, Standards};
use engine::Snapshot;
use gridatlas_server::commands::CommandError;
use gridatlas_server::store::StoreError;
use sqlx::PgPool;

use crate::city;
use crate::memory::peak_rss_mib;

/// Engine recomputes timed; the best one counts.
const ENGINE_RUNS: usize = 3;

/// Runs the benchmark against an empty PostGIS database at `database_url`.
pub async fn run(database_url: &str, buildings: usize) -> Result<(), CommandError> {
    let (atlas, pool) = city::into_postgis(database_url, buildings).await?;
    let snapshot = atlas.snapshot();
    let standards = Standards::default();
    let runs = engine_runs(&snapshot, &standards).await?;
    let engine_best = runs.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "engine: full recompute of {} service types over {} compounds and {} scattered buildings: best {engine_best:.2} s of {:?}; peak memory {:.0} MiB",
        standards.services.len(),
        snapshot.data.compounds.len(),
        snapshot.data.buildings.iter().filter(|b| b.scattered()).count(),
        runs.iter().map(|s| (s * 100.0).round() / 100.0).collect::<Vec<_>>(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    let t = Instant::now();
    let mut pairs = 0i64;
    for rule in &standards.services {
        pairs += postgis_knn(&pool, rule).await?;
    }
    let postgis = t.elapsed().as_secs_f64();
    println!("PostGIS KNN (nearest counting facility per unit and service, geography distance): {postgis:.2} s for {pairs} unit × service pairs");
    println!(
        "ratio: engine {:.1}× faster than PostGIS",
        postgis / engine_best
    );
    atlas.store().close().await;
    Ok(())
}

/// Seconds of each full engine recompute, off the async runtime.
async fn engine_runs(
    snapshot: &Arc<Snapshot>,
    standards: &Standards,
) -> Result<Vec<f64>, CommandError> {
    let mut runs = Vec::new();
    for _ in 0..ENGINE_RUNS {
        let (snap, std) = (snapshot.clone(), standards.clone());
        let t = Instant::now();
        let coverage = tokio::task::spawn_blocking(move || Coverage::compute(&snap, &std))
            .await
            .map_err(|e| CommandError::Io(e.to_string()))?
            .map_err(|e| CommandError::Io(e.to_string()))?;
        runs.push(t.elapsed().as_secs_f64());
        drop(coverage);
    }
    Ok(runs)
}

/// The PostGIS equivalent of one service's coverage: the counting facilities into an indexed
/// temporary table, then the nearest one of every compound and scattered building by KNN, with
/// the distance on geography. Returns the number of unit × service pairs measured.
async fn postgis_knn(pool: &PgPool, rule: &ServiceStandard) -> Result<i64, CommandError> {
    let CountedNames {
        services: spaces,
        station_kinds: kinds,
        levels,
    } = rule.counted_names();
    let mut tx = pool.begin().await.map_err(StoreError::from)?;
    sqlx::query(
        "CREATE TEMP TABLE f ON COMMIT DROP AS SELECT geom FROM service_spaces WHERE services && $1::text[] AND level = ANY($3)
         UNION ALL SELECT geom FROM stations WHERE kind = ANY($2) AND level = ANY($3)",
    )
    .bind(&spaces)
    .bind(&kinds)
    .bind(&levels)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    for sql in ["CREATE INDEX ON f USING gist (geom)", "ANALYZE f"] {
        sqlx::query(sql)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT count(n.d) FROM (
             SELECT geom FROM compounds UNION ALL SELECT geom FROM buildings WHERE compound_id IS NULL) u
         CROSS JOIN LATERAL (SELECT ST_Distance(u.geom::geography, f.geom::geography) AS d FROM f ORDER BY u.geom <-> f.geom LIMIT 1) n",
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(n)
}
