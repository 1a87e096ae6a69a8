//! Latency and throughput of a set of requests: percentiles and sizes, and a fixed number of
//! requests in flight over a list of tiles.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gridatlas_server::commands::CommandError;
use tiles::TileId;

/// Requests in flight at once for every tile target.
pub const CONCURRENCY: usize = 4;

/// Latency and throughput of one pass over a request list.
#[derive(Debug, Clone)]
pub struct Pass {
    pub per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_kib: f64,
    pub max_kib: f64,
}

/// Summarizes the latencies and response sizes of requests made over `wall` time.
pub fn summarize(mut latencies: Vec<Duration>, sizes: &[usize], wall: Duration) -> Pass {
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Pass {
        per_s: latencies.len() as f64 / wall.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        mean_kib: sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64 / 1024.0,
        max_kib: sizes.iter().copied().max().unwrap_or(0) as f64 / 1024.0,
    }
}

/// Runs `fetch` (returning the response size) over every tile with [`CONCURRENCY`] workers.
pub async fn run_pass<F, Fut>(tiles: &[TileId], fetch: F) -> Result<Pass, CommandError>
where
    F: Fn(TileId) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<usize, String>> + Send,
{
    let queue = Arc::new(Mutex::new(tiles.to_vec()));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (queue, fetch) = (queue.clone(), fetch.clone());
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().map_err(|e| e.to_string())?.pop();
                let Some(t) = next else { break };
                let t0 = Instant::now();
                let size = fetch(t).await?;
                out.push((t0.elapsed(), size));
            }
            Ok::<_, String>(out)
        }));
    }
    let mut latencies = Vec::new();
    let mut sizes = Vec::new();
    for w in workers {
        for (l, s) in w
            .await
            .map_err(|e| CommandError::Io(e.to_string()))?
            .map_err(CommandError::Io)?
        {
            latencies.push(l);
            sizes.push(s);
        }
    }
    Ok(summarize(latencies, &sizes, start.elapsed()))
}

/// GETs `url` and returns the body's size; any status but success is an error.
pub async fn http_size(client: &reqwest::Client, url: String) -> Result<usize, String> {
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status}"));
    }
    Ok(resp.bytes().await.map_err(|e| e.to_string())?.len())
}
