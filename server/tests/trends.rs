//! The data of a past moment, rebuilt from the audit log, on both stores: the coverage asked
//! `as_of` a moment before some edits equals, to the byte, the coverage answered at that moment
//! — and again after the server restarts; the monthly trend reports each past month's end
//! (here, before the demo existed: said so) and the change since the last one; the printed
//! report says what changed since last month.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use chrono::{SecondsFormat, Utc};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::Store;
use serde_json::{json, Value};

use crate::common::{self, send};

const LONGNAN: &str = data::LONGNAN_COMMUNITY;

async fn open(store: Box<dyn Store>) -> Router {
    app(AppState::new(
        Arc::new(Atlas::open(store).await.expect("atlas")),
        Config::default(),
    ))
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    send(app, Method::GET, uri, None, None, None).await
}

/// The same data version and every area's figures identical (the `measured` timings of the
/// walking network are how long a computation took, not data).
fn same_figures(a: &Value, b: &Value, what: &str) {
    assert_eq!(a["data_version"], b["data_version"], "{what}: data version");
    let (a, b) = (
        a["areas"].as_array().expect("areas"),
        b["areas"].as_array().expect("areas"),
    );
    assert_eq!(a.len(), b.len(), "{what}: number of areas");
    for (x, y) in a.iter().zip(b) {
        assert!(x == y, "{what}: {} differs:\n{x}\n{y}", x["code"]);
    }
}

#[tokio::test]
async fn a_past_moment_is_rebuilt_from_the_audit_log_exactly_and_again_after_a_restart() {
    let dir = tempfile::tempdir().expect("dir");
    let pg = common::fresh_pg_url().await;
    let gpkg = dir.path().join("atlas.gpkg").display().to_string();
    for location in [gpkg.as_str(), pg.as_str()] {
        let store = gridatlas_server::store::open(location)
            .await
            .expect("store");
        load_dataset(store.as_ref(), data::demo_district())
            .await
            .expect("demo");
        common::add_account(store.as_ref(), "root", "admin", "district").await;
        let app = open(store).await;
        let kind = if location.starts_with("postgres") {
            "postgis"
        } else {
            "geopackage"
        };

        let uri = "/api/coverage?level=community";
        let (s, then) = get(&app, uri).await;
        assert_eq!(s, StatusCode::OK, "{then}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let moment = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;

        // Edits after the moment: two of 龙南's three-no compounds get property management.
        let token = common::sign_in(&app, "root").await;
        let (_, list) = get(
            &app,
            &format!(
                "/ogc/collections/compounds/items?community_code={LONGNAN}&three_no=true&limit=2"
            ),
        )
        .await;
        for f in list["features"].as_array().expect("features") {
            let mut f = f.clone();
            f["properties"]["property_management"] = json!("professional");
            let (s, v) = crate::common::put_feature(&app, &token, "compounds", &f).await;
            assert_eq!(s, StatusCode::OK, "{kind}: {v}");
        }
        let (_, now) = get(&app, uri).await;
        assert!(
            now["areas"] != then["areas"],
            "{kind}: the edits change the figures"
        );

        let past = format!("{uri}&as_of={}", moment.replace('+', "%2B"));
        let (s, rebuilt) = get(&app, &past).await;
        assert_eq!(s, StatusCode::OK, "{kind}: {}", rebuilt["message"]);
        same_figures(
            &rebuilt,
            &then,
            &format!("{kind}: the coverage as of the moment"),
        );

        // A restart keeps nothing in memory: the log alone gives the same answer.
        drop(app);
        let app = open(
            gridatlas_server::store::open(location)
                .await
                .expect("reopen"),
        )
        .await;
        let (_, after_restart) = get(&app, &past).await;
        same_figures(&after_restart, &then, &format!("{kind}: after a restart"));

        // The trend: each past month's end (the demo did not exist then: said, not zero), the
        // current indicators and the change since the last month's end.
        let (s, trend) = get(
            &app,
            &format!("/api/trends?level=community&code={LONGNAN}&months=3"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{trend}");
        let months = trend["months"].as_array().expect("months");
        assert_eq!(months.len(), 3);
        for m in months {
            assert!(m["indicators"].is_null(), "{kind}: {m}");
            assert_eq!(m["unavailable"], "not_yet", "{m}");
            assert!(
                m["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("no data yet")),
                "{m}"
            );
        }
        let longnan = now["areas"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["code"] == LONGNAN))
            .expect("龙南");
        assert_eq!(
            trend["now"]["indicators"]["three_no_compounds"],
            longnan["governance"]["three_no_compounds"]
        );
        assert_eq!(
            trend["now"]["indicators"]["property_management_pct"],
            longnan["governance"]["property_management_pct"]
        );

        // Bad moments and areas get their reason.
        for (uri, status) in [
            (format!("{uri}&as_of=yesterday"), StatusCode::BAD_REQUEST),
            (
                format!("/api/trends?level=community&code={LONGNAN}&months=0"),
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/trends?level=community&code=999".to_owned(),
                StatusCode::NOT_FOUND,
            ),
            (
                "/api/trends?level=community".to_owned(),
                StatusCode::BAD_REQUEST,
            ),
        ] {
            let (s, v) = get(&app, &uri).await;
            assert_eq!(s, status, "{uri}: {v}");
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        eprintln!("{kind}: the past moment rebuilt exactly, before and after a restart");
    }
}

#[test]
fn a_month_ends_at_midnight_china_time() {
    use engine::analysis::trends::{moment, Month};
    let nov = Month::parse("2026-11").expect("month");
    assert_eq!(nov.end().to_rfc3339(), "2026-11-30T16:00:00+00:00");
    assert_eq!(
        moment("2026-11").map(|t| t.to_rfc3339()),
        Some(nov.end().to_rfc3339())
    );
    assert_eq!(
        moment("2026-11-15").map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-15T16:00:00+00:00")
    );
    assert_eq!(Month::parse("2026-12").map(|m| m.previous()), Some(nov));
    assert_eq!(
        Month::parse("2026-01")
            .map(|m| m.previous().to_string())
            .as_deref(),
        Some("2025-12")
    );
    assert!(Month::parse("2026-13").is_none() && moment("soon").is_none());
}
