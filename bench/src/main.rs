//! `gridatlas-bench`: the benchmarks of Grid Atlas, kept out of the production `gridatlas` binary.
//! Each prints its figures; none asserts them.

mod city;
mod city_edits;
mod coverage;
mod import;
mod latency;
mod load;
mod memory;
mod tile_list;
mod tiles;
mod walking;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gridatlas_server::commands::CommandError;

/// Grid Atlas benchmarks: import, vector tiles, coverage, walking and a mixed load run; figures are
/// printed.
#[derive(Parser)]
#[command(name = "gridatlas-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Import a synthetic city into one store; prints time and peak memory.
    Import {
        /// GeoPackage file of the embedded store (used when no database URL is given).
        #[arg(long, env = "GRIDATLAS_STORE", default_value = "gridatlas.gpkg")]
        store: String,
        /// PostgreSQL/PostGIS URL of an empty database; when set, the city goes into PostGIS.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// Buildings in the synthetic city.
        #[arg(long, default_value_t = 1_000_000)]
        scale: usize,
    },
    /// A load run on loopback: tiles, feature pages, coverage, search and edits together.
    Load {
        /// How long to run, in seconds.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// Edits at city scale: the snapshot's bytes per feature, one editor's edit latency, then
    /// editors and readers together on the synthetic city.
    CityEdits {
        /// GeoPackage file of the city (generated into it when missing or empty).
        #[arg(long, env = "GRIDATLAS_STORE", default_value = "city.gpkg")]
        store: String,
        /// PostgreSQL/PostGIS URL of the city instead.
        #[arg(long, env = "DATABASE_URL")]
        database_url: Option<String>,
        /// Buildings in the synthetic city, when it is generated.
        #[arg(long, default_value_t = 1_000_000)]
        scale: usize,
        /// Concurrent editors.
        #[arg(long, default_value_t = 8)]
        editors: usize,
        /// Concurrent readers (tiles, feature pages, coverage).
        #[arg(long, default_value_t = 32)]
        readers: usize,
        /// How long the mixed load runs, in seconds.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// Full coverage recompute in the engine against PostGIS KNN on the same synthetic city.
    Coverage {
        /// An empty PostGIS database to load the city into.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Buildings in the synthetic city.
        #[arg(long, default_value_t = 1_000_000)]
        scale: usize,
    },
    /// Tiles from the server, from martin (cache off) and from raw PostGIS on the same synthetic
    /// city and tile list; prints throughput, p50/p99 latency, sizes and ratios.
    Tiles {
        /// An empty PostGIS database to load the city into.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Buildings in the synthetic city.
        #[arg(long, default_value_t = 1_000_000)]
        scale: usize,
        /// The martin binary; without it (or empty) martin is left out.
        #[arg(long, env = "MARTIN_BIN")]
        martin: Option<String>,
        /// Tiles per zoom level.
        #[arg(long, default_value_t = 200)]
        tiles_per_zoom: usize,
    },
    /// Walking-distance coverage: the engine's network build, joining, memory and full walking
    /// recompute, against pgRouting and pandana on the same graph; prints times,
    /// memory, agreement and ratios.
    Walking {
        /// An empty database on a server with pgRouting installed, to load the graph into.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Buildings in the synthetic city.
        #[arg(long, default_value_t = 1_000_000)]
        scale: usize,
        /// pandana's side, a Python script (scripts/bench-walking.sh passes it); without it (or
        /// empty) pandana is left out.
        #[arg(long, env = "PANDANA_SCRIPT")]
        pandana: Option<String>,
        /// The Python that runs it (with pandana installed).
        #[arg(long, env = "PYTHON", default_value = "python3")]
        python: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(bench: Bench) -> Result<(), CommandError> {
    match bench {
        Bench::Import {
            store,
            database_url,
            scale,
        } => {
            let location = database_url.filter(|u| !u.is_empty()).unwrap_or(store);
            import::run(&location, scale).await
        }
        Bench::Load { seconds, clients } => load::run(seconds, clients).await,
        Bench::CityEdits {
            store,
            database_url,
            scale,
            editors,
            readers,
            seconds,
        } => {
            let location = database_url.filter(|u| !u.is_empty()).unwrap_or(store);
            city_edits::run(&location, scale, editors, readers, seconds).await
        }
        Bench::Coverage {
            database_url,
            scale,
        } => coverage::run(&database_url, scale).await,
        Bench::Tiles {
            database_url,
            scale,
            martin,
            tiles_per_zoom,
        } => {
            // An empty MARTIN_BIN (how scripts/bench-tiles.sh says "no martin") is no martin.
            let martin = martin.filter(|m| !m.is_empty());
            tiles::run(&database_url, scale, martin.as_deref(), tiles_per_zoom).await
        }
        Bench::Walking {
            database_url,
            scale,
            pandana,
            python,
        } => {
            let pandana = pandana.filter(|p| !p.is_empty());
            walking::run(&database_url, scale, pandana.as_deref(), &python).await
        }
    }
}
