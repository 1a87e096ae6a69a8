//! Crash safety: the `gridatlas` process is killed with SIGKILL at random moments during imports,
//! during edits through the API and during grid-plan publications, on both stores, many times.
//! After each kill the store holds the state before or after the operation — never a mix — and
//! the audit log matches it.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use engine::{Feature, Layer};
use gridatlas_server::store::{self, AuditQuery};
use rand::{Rng, SeedableRng};

const ROUNDS: usize = 6;

fn gridatlas() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gridatlas"));
    c.env_remove("DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn sigkill(child: &mut Child) {
    // Child::kill sends SIGKILL on Unix.
    child.kill().ok();
    child.wait().ok();
}

/// A GeoJSON file of `n` new scattered buildings in 龙南社区 (one import operation).
fn import_file(dir: &Path, n: usize, round: usize) -> String {
    let demo = data::demo_district();
    let b = demo
        .buildings
        .iter()
        .find(|b| b.community_code == "510504003004" && b.scattered())
        .expect("scattered building")
        .clone();
    let features: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut f = b.clone();
            f.id = 0;
            f.name = Some(format!("崩溃测试{round}-{i}"));
            serde_json::to_value(Feature::Building(f).to_geojson()).expect("json")
        })
        .map(|mut v| {
            v.as_object_mut().map(|o| o.remove("id"));
            v
        })
        .collect();
    let path = dir.join(format!("buildings-{round}.geojson"));
    std::fs::write(
        &path,
        serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string(),
    )
    .expect("write");
    path.display().to_string()
}

/// A killed process's PostgreSQL backends may still be finishing a COMMIT the process sent before
/// it died. Wait until no other backend of the database is busy (an idle one has finished its
/// transaction), so the test reads the database at rest rather than catching a commit landing
/// between two of its reads.
async fn settle(location: &str) {
    if !location.starts_with("postgres") {
        return;
    }
    use sqlx::Connection as _;
    // One connection, not a pool: a pool's other connections would count as "others".
    let mut pool = sqlx::PgConnection::connect(location)
        .await
        .expect("connect");
    let start = Instant::now();
    loop {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND backend_type = 'client backend' AND state IS DISTINCT FROM 'idle'",
        )
        .fetch_one(&mut pool)
        .await
        .expect("pg_stat_activity");
        if others == 0 {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let rows: Vec<(i32, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                "SELECT pid, application_name, state, query FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_all(&mut pool)
            .await
            .unwrap_or_default();
            panic!("{location}: backends of the killed process still busy after 60 s: {rows:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pool.close().await.ok();
}

/// Buildings of a crash round, and the audit entries of imports.
async fn observe(location: &str, round: usize) -> (usize, usize, i64) {
    settle(location).await;
    let s = store::open(location).await.expect("reopen after the kill");
    let (version, data) = s.load().await.expect("load");
    let prefix = format!("崩溃测试{round}-");
    let n = data
        .buildings
        .iter()
        .filter(|b| b.name.as_deref().is_some_and(|x| x.starts_with(&prefix)))
        .count();
    let audits = s
        .audit(&AuditQuery {
            layer: Some(Layer::Buildings.name().into()),
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    let imported_entries = audits
        .iter()
        .filter(|e| e.operation == "import" && e.data_version == version && version > 1)
        .count();
    s.close().await;
    (n, imported_entries, version)
}

async fn imports_killed_at_random(location: &str, dir: &Path, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = 2_000;
    let (mut complete, mut nothing) = (0, 0);
    for round in 0..ROUNDS {
        let file = import_file(dir, n, round);
        let (_, _, before) = observe(location, round).await;
        let mut child = gridatlas()
            .args(["import", "--store", location, "--layer", "buildings", &file])
            .spawn()
            .expect("import");
        std::thread::sleep(Duration::from_millis(rng.random_range(50..1_500)));
        sigkill(&mut child);
        let (found, entries, after) = observe(location, round).await;
        if found == 0 {
            assert_eq!(
                after, before,
                "{location}: nothing imported, data version unchanged"
            );
            nothing += 1;
        } else {
            assert_eq!(
                found, n,
                "{location} round {round}: all {n} buildings or none, never {found}"
            );
            assert_eq!(
                after,
                before + 1,
                "{location}: one import, one data version"
            );
            assert!(
                entries > 0,
                "{location}: the completed import is in the audit log"
            );
            complete += 1;
        }
    }
    eprintln!(
        "{location}: imports killed {ROUNDS} times: {complete} complete, {nothing} rolled back"
    );
}

fn request(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    // The server may already be dead: that is the point of the test.
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nContent-Type: application/json\r\n", body.len());
    if let Some(t) = token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok();
    s.write_all(body.as_bytes()).ok();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        status,
        text.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default(),
    )
}

fn serve(location: &str) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let child = gridatlas()
        .args([
            "serve",
            "--store",
            location,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--web-dir",
            "/nonexistent",
        ])
        .spawn()
        .expect("serve");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    (child, port)
}

/// Signs in as the `crash` admin over HTTP; returns the session token.
fn sign_in_over_http(port: u16) -> String {
    let login = serde_json::json!({ "name": "crash", "password": common::PASSWORD }).to_string();
    let (status, body) = request(port, "POST", "/api/session", None, &[], &login);
    assert_eq!(status, 200, "{body}");
    json_of(&body)["token"].as_str().expect("token").to_owned()
}

/// Sends `method path` (with the token and If-Match `etag`) from another thread, kills the
/// server after a random pause of up to `max_pause_us` and waits for the sender.
fn kill_during(
    child: &mut Child,
    rng: &mut rand_chacha::ChaCha8Rng,
    max_pause_us: u64,
    (port, method, path): (u16, &'static str, String),
    (token, etag, body): (&str, String, String),
) {
    let writer = std::thread::spawn({
        let token = token.to_owned();
        move || {
            request(
                port,
                method,
                &path,
                Some(&token),
                &[("If-Match", &etag)],
                &body,
            )
        }
    });
    std::thread::sleep(Duration::from_micros(rng.random_range(0..max_pause_us)));
    sigkill(child);
    writer.join().ok();
}

async fn edits_killed_at_random(location: &str, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let s = store::open(location).await.expect("store");
    common::add_account(s.as_ref(), "crash", "admin", "district").await;
    let (_, data) = s.load().await.expect("load");
    s.close().await;
    let target = data
        .compounds
        .iter()
        .find(|c| c.community_code == "510504003004")
        .expect("compound")
        .id;
    let (mut committed, mut lost) = (0, 0);
    for round in 0..ROUNDS {
        let (mut child, port) = serve(location);
        let token = sign_in_over_http(port);
        let uri = format!("/ogc/collections/compounds/items/{target}");
        let (version, households, body) = renamed_compound(port, &uri, round);
        let etag = format!("\"{version}\"");
        kill_during(
            &mut child,
            &mut rng,
            20_000,
            (port, "PUT", uri),
            (&token, etag, body),
        );
        if assert_edit_before_or_after(location, target, round, version, households).await {
            committed += 1;
        } else {
            lost += 1;
        }
    }
    eprintln!("{location}: edits killed {ROUNDS} times: {committed} committed, {lost} not");
}

/// The compound at `uri` renamed for `round` with one household more: its version, its
/// households and the edited feature's JSON.
fn renamed_compound(port: u16, uri: &str, round: usize) -> (i64, i64, String) {
    let (_, body) = request(port, "GET", uri, None, &[], "");
    let mut f: serde_json::Value = serde_json::from_str(&body).expect("feature");
    let version = f["properties"]["version"].as_i64().expect("version");
    let households = f["properties"]["households"].as_i64().expect("households");
    f["properties"]["name"] = serde_json::json!(format!("编辑轮次{round}"));
    f["properties"]["households"] = serde_json::json!(households + 1);
    (version, households, f.to_string())
}

/// After the kill, the compound is either untouched at `version` or wholly edited at the next
/// one, and the audit log holds exactly the committed edits; true when the edit committed.
async fn assert_edit_before_or_after(
    location: &str,
    target: i64,
    round: usize,
    version: i64,
    households: i64,
) -> bool {
    settle(location).await;
    let s = store::open(location).await.expect("reopen after the kill");
    let (_, after) = s.load().await.expect("load");
    let c = after
        .compounds
        .iter()
        .find(|c| c.id == target)
        .expect("compound");
    let audit = s
        .audit(&AuditQuery {
            layer: Some(Layer::Compounds.name().into()),
            feature_id: Some(target),
            limit: 1000,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    let edits = audit.iter().filter(|e| e.operation == "edit").count() as i64;
    s.close().await;
    let committed = c.version != version;
    if committed {
        assert_eq!(c.version, version + 1, "{location}: one edit");
        assert_eq!(
            (c.households, c.name.clone()),
            (households + 1, format!("编辑轮次{round}")),
            "{location}: after, whole"
        );
    } else {
        assert_eq!(
            (
                c.households,
                c.name.starts_with("编辑轮次") && c.name == format!("编辑轮次{round}")
            ),
            (households, false),
            "{location}: before, untouched"
        );
    }
    assert_eq!(
        edits,
        c.version - 1,
        "{location}: the audit log holds exactly the committed edits"
    );
    committed
}

/// The grids of 奥体社区 as (code, workers), and the compounds' grid codes.
fn aoti_grids(data: &engine::Dataset) -> (Vec<(String, i64)>, Vec<Option<String>>) {
    let mut grids: Vec<(String, i64)> = data
        .grids
        .iter()
        .filter(|g| g.community_code == "510504003006")
        .map(|g| (g.code.clone(), g.workers))
        .collect();
    grids.sort();
    let compounds = data
        .compounds
        .iter()
        .filter(|c| c.community_code == "510504003006")
        .map(|c| c.grid_code.as_deref().map(str::to_owned))
        .collect();
    (grids, compounds)
}

fn json_of(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Publishes a redrawn plan of 奥体社区 (every grid with a new number of workers; the first
/// publication also replaces the drawn grid polygons by tessellated ones) and kills the server at
/// a random moment of the publication. (Not 龙南社区: the import rounds add thousands of
/// buildings there.)
async fn publishes_killed_at_random(location: &str, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let (mut published, mut not) = (0, 0);
    for round in 0..ROUNDS {
        let s = store::open(location).await.expect("store");
        let (before_version, data) = s.load().await.expect("load");
        let before = aoti_grids(&data);
        s.close().await;

        let (mut child, port) = serve(location);
        let token = sign_in_over_http(port);
        let (id, planned) = redrawn_aoti_draft(port, &token, round);
        kill_during(
            &mut child,
            &mut rng,
            400_000,
            (port, "POST", format!("/api/planning/drafts/{id}/publish")),
            (&token, "\"2\"".to_owned(), String::new()),
        );
        let outcome = Publication {
            location,
            round,
            id,
            before_version,
            before,
            planned,
        };
        if outcome.assert_before_or_after().await {
            published += 1;
        } else {
            not += 1;
        }
    }
    eprintln!("{location}: publishes killed {ROUNDS} times: {published} published, {not} not");
}

/// Creates a draft of 奥体社区 from the proposal with `2 + round` workers per grid, saved at
/// version 2; returns its id and the planned (code, workers), sorted.
fn redrawn_aoti_draft(port: u16, token: &str, round: usize) -> (i64, Vec<(String, i64)>) {
    let t = Some(token);
    let (status, body) = request(
        port,
        "POST",
        "/api/planning/drafts",
        t,
        &[],
        r#"{"community_code": "510504003006"}"#,
    );
    assert_eq!(status, 201, "{body}");
    let id = json_of(&body)["id"].as_i64().expect("id");
    let (status, body) = request(
        port,
        "POST",
        &format!("/api/planning/drafts/{id}/proposal"),
        t,
        &[],
        "{}",
    );
    assert_eq!(status, 200, "{body}");
    let mut plan = json_of(&body)["plan"].clone();
    let workers = 2 + round as i64;
    for g in plan["grids"].as_array_mut().expect("grids") {
        g["workers"] = serde_json::json!(workers);
    }
    let planned: Vec<(String, i64)> = {
        let mut v: Vec<(String, i64)> = plan["grids"]
            .as_array()
            .expect("grids")
            .iter()
            .map(|g| (g["code"].as_str().expect("code").to_owned(), workers))
            .collect();
        v.sort();
        v
    };
    let (status, body) = request(
        port,
        "PUT",
        &format!("/api/planning/drafts/{id}"),
        t,
        &[("If-Match", "\"1\"")],
        &serde_json::json!({ "plan": plan }).to_string(),
    );
    assert_eq!(status, 200, "{body}");
    (id, planned)
}

/// A publication the server was killed during, and what was there before.
struct Publication<'a> {
    location: &'a str,
    round: usize,
    /// The draft's id.
    id: i64,
    before_version: i64,
    before: (Vec<(String, i64)>, Vec<Option<String>>),
    planned: Vec<(String, i64)>,
}

impl Publication<'_> {
    /// The store holds the grids, draft and audit log either wholly before or wholly after the
    /// publication; true when it was published.
    async fn assert_before_or_after(&self) -> bool {
        let (location, round, id) = (self.location, self.round, self.id);
        settle(location).await;
        let s = store::open(location).await.expect("reopen after the kill");
        let (version, data) = s.load().await.expect("load");
        let after = aoti_grids(&data);
        let draft = s
            .draft(id)
            .await
            .expect("draft")
            .expect("the draft is kept");
        let entries = s
            .audit(&AuditQuery {
                actor: Some("crash".into()),
                since: None,
                limit: 100_000,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        let summary = entries.iter().any(|e| {
            e.operation == "publish"
                && e.layer.is_none()
                && e.after.as_ref().is_some_and(|a| a["draft_id"] == id)
        });
        s.close().await;
        if version == self.before_version {
            assert_eq!(
                after, self.before,
                "{location} round {round}: the grids as before"
            );
            assert_eq!(draft.status, "draft", "{location}: not published");
            assert!(
                !summary,
                "{location}: no audit entry for an unpublished draft"
            );
            return false;
        }
        let planned = &self.planned;
        assert_eq!(
            version,
            self.before_version + 1,
            "{location}: one publication"
        );
        assert_eq!(
            &after.0, planned,
            "{location} round {round}: the grids as planned"
        );
        assert!(
            after.1.iter().all(|c| c
                .as_ref()
                .is_some_and(|c| planned.iter().any(|p| p.0 == *c))),
            "{location}: every compound in a planned grid"
        );
        assert_eq!(
            draft.status, "published",
            "{location}: the draft published with them"
        );
        assert_eq!(draft.published_data_version, Some(version));
        assert!(summary, "{location}: the publication is in the audit log");
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_process_mid_import_edit_or_publish_leaves_before_or_after_never_a_mix() {
    let dir = tempfile::tempdir().expect("tmp");
    let gpkg = dir.path().join("crash.gpkg").display().to_string();
    let pg = common::fresh_pg_url().await;
    for (i, location) in [gpkg.as_str(), pg.as_str()].into_iter().enumerate() {
        let s = store::open(location).await.expect("store");
        gridatlas_server::commands::load_dataset(s.as_ref(), data::demo_district())
            .await
            .expect("demo");
        s.close().await;
        imports_killed_at_random(location, dir.path(), 7 + i as u64).await;
        edits_killed_at_random(location, 11 + i as u64).await;
        publishes_killed_at_random(location, 13 + i as u64).await;
    }
}
