//! Generates the demo district or a synthetic city and prints its size per layer.
//!
//! `cargo run -p gridatlas-data --release --example generate -- [BUILDINGS [SEED]]`
//! (no arguments: the demo district).

use std::time::Instant;

use engine::Layer;

fn main() {
    let mut args = std::env::args().skip(1);
    let buildings = args.next().and_then(|a| a.parse::<usize>().ok());
    let seed = args.next().and_then(|a| a.parse::<u64>().ok()).unwrap_or(1);
    let start = Instant::now();
    let data = match buildings {
        Some(n) => gridatlas_data::synthetic_city(n, seed),
        None => gridatlas_data::demo_district(),
    };
    let took = start.elapsed();
    for layer in Layer::ALL {
        println!("{:<15} {:>10}", layer.name(), data.len(layer));
    }
    println!("generated {} features in {:.2?}", data.total(), took);
}
