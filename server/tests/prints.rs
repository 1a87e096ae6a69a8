//! Printed notice boards and coverage reports over HTTP, read back by poppler (`pdftotext`,
//! `pdfinfo`, `pdfimages`, `pdftoppm`): a grid's board names its grid, workers (phones as the
//! caller may see them), households and photo; a street's boards come as one PDF, one page a
//! grid; the report ranks communities worst first as the coverage API does and lists the
//! underserved compounds or says there are none; the same data prints the same bytes; page 1 of
//! each matches its reviewed golden image; bad requests get their reason.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use axum::http::{Method, Request, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::{load_dataset, load_demo_work};
use gridatlas_server::store::Store;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::{self, send};

const LONGNAN: &str = data::LONGNAN_COMMUNITY;
const STREET: &str = "510504003";
const DAY: &str = "2026-12-04";

struct Field {
    app: Router,
    data: engine::Dataset,
    grid: String,
    dir: tempfile::TempDir,
}

async fn field(store: Box<dyn Store>) -> Field {
    let data = data::demo_district();
    load_dataset(store.as_ref(), data.clone())
        .await
        .expect("demo");
    load_demo_work(store.as_ref(), &data).await.expect("work");
    for (name, role, scope) in [
        ("staff", "staff", format!("community:{LONGNAN}")),
        ("viewer", "viewer", format!("community:{LONGNAN}")),
        ("root", "admin", "district".to_owned()),
    ] {
        common::add_account(store.as_ref(), name, role, &scope).await;
    }
    let mut grids: Vec<String> = data
        .grids
        .iter()
        .filter(|g| g.community_code == LONGNAN)
        .map(|g| g.code.clone())
        .collect();
    grids.sort();
    let atlas = Arc::new(Atlas::open(store).await.expect("atlas"));
    Field {
        app: app(AppState::new(atlas, Config::default())),
        data,
        grid: grids[0].clone(),
        dir: tempfile::tempdir().expect("dir"),
    }
}

impl Field {
    /// The status, content type and body of a GET as `who` (anonymous when `None`).
    async fn fetch(&self, who: Option<&str>, uri: &str) -> (StatusCode, String, Vec<u8>) {
        let mut req = Request::builder().method(Method::GET).uri(uri);
        if let Some(w) = who {
            let token = common::sign_in(&self.app, w).await;
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let resp = self
            .app
            .clone()
            .oneshot(req.body(axum::body::Body::empty()).expect("request"))
            .await
            .expect("response");
        let status = resp.status();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        (status, kind, body)
    }

    /// A PDF that must be served, saved under `name`.
    async fn pdf(&self, who: Option<&str>, uri: &str, name: &str) -> (PathBuf, Vec<u8>) {
        let (status, kind, body) = self.fetch(who, uri).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(kind, "application/pdf");
        let path = self.dir.path().join(name);
        std::fs::write(&path, &body).expect("write");
        (path, body)
    }

    async fn json(&self, who: Option<&str>, uri: &str) -> Value {
        let token = match who {
            Some(w) => Some(common::sign_in(&self.app, w).await),
            None => None,
        };
        let (s, v) = send(&self.app, Method::GET, uri, token.as_deref(), None, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {v}");
        v
    }
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().expect(tool);
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn text(pdf: &Path) -> String {
    poppler("pdftotext", &["-layout", &pdf.display().to_string(), "-"])
}

fn pages(pdf: &Path) -> usize {
    poppler("pdfinfo", &[&pdf.display().to_string()])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("page count")
}

/// Page 1 of `pdf` rendered by poppler at 40 dpi, compared with the reviewed golden image
/// `tests/golden/{name}.png`: the same size, and at most 1 % of pixels off by more than a
/// blur's worth. `GRIDATLAS_BLESS=1` writes the golden image instead (to be looked at).
fn matches_golden(pdf: &Path, name: &str) {
    let prefix = pdf.with_extension("");
    poppler(
        "pdftoppm",
        &[
            "-r",
            "40",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-png",
            &pdf.display().to_string(),
            &prefix.display().to_string(),
        ],
    );
    let rendered = prefix.with_extension("png");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/golden/{name}.png"));
    if std::env::var_os("GRIDATLAS_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().expect("dir")).expect("golden dir");
        std::fs::copy(&rendered, &golden).expect("bless");
        return;
    }
    let (a, aw, ah) = rgb(&rendered);
    let (b, bw, bh) = rgb(&golden);
    assert_eq!(
        (aw, ah),
        (bw, bh),
        "{name}: page size differs from the golden image"
    );
    let off = a
        .chunks(3)
        .zip(b.chunks(3))
        .filter(|(p, q)| p.iter().zip(q.iter()).any(|(x, y)| x.abs_diff(*y) > 64))
        .count();
    let share = off as f64 / (aw * ah) as f64;
    assert!(
        share <= 0.01,
        "{name}: {:.2} % of pixels differ from tests/golden/{name}.png (rendered: {})",
        share * 100.0,
        rendered.display()
    );
}

/// RGB bytes, width and height of a PNG.
fn rgb(path: &Path) -> (Vec<u8>, usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    ));
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    (rgb, info.width as usize, info.height as usize)
}

/// A 40 × 50 PNG of one colour, as a data URL.
fn portrait() -> String {
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, 40, 50);
        enc.set_color(png::ColorType::Rgb);
        let mut w = enc.write_header().expect("header");
        w.write_image_data(&[30u8, 90, 160].repeat(40 * 50))
            .expect("data");
    }
    format!("data:image/png;base64,{}", base64_encode(&bytes))
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for (i, shift) in [18, 12, 6, 0].iter().enumerate() {
            if i <= c.len() {
                out.push(T[(n >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Households of a grid counted from the data: its compounds and its scattered buildings.
fn households(data: &engine::Dataset, grid: &str) -> i64 {
    data.compounds
        .iter()
        .filter(|c| c.grid_code.as_deref() == Some(grid))
        .map(|c| c.households)
        .sum::<i64>()
        + data
            .buildings
            .iter()
            .filter(|b| b.compound_id.is_none() && b.grid_code.as_deref() == Some(grid))
            .map(|b| b.households)
            .sum::<i64>()
}

#[tokio::test]
async fn a_grid_board_names_its_grid_workers_households_and_photo_on_both_stores() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        let kind = store.kind();
        let f = field(store).await;
        let grid_name = f
            .data
            .grids
            .iter()
            .find(|g| g.code == f.grid)
            .map(|g| g.name.clone())
            .expect("grid");
        let workers = f
            .json(
                Some("staff"),
                &format!("/api/work/grid_workers?grid={}", f.grid),
            )
            .await;
        let worker = &workers["records"][0];
        let (name, phone) = (
            worker["body"]["name"].as_str().expect("name").to_owned(),
            worker["body"]["phone"].as_str().expect("phone").to_owned(),
        );
        // The worker's portrait, recorded through the API, is on the board.
        let mut body = worker["body"].clone();
        body["photo"] = json!(portrait());
        let token = common::sign_in(&f.app, "staff").await;
        let (s, v) = send(
            &f.app,
            Method::PUT,
            &format!("/api/work/grid_workers/{}", worker["id"]),
            Some(&token),
            worker["version"].as_i64(),
            Some(&body),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        let uri = format!("/api/print/boards?grid={}&date={DAY}", f.grid);
        let (pdf, bytes) = f.pdf(Some("staff"), &uri, "board.pdf").await;
        let t = text(&pdf);
        assert!(t.contains(&grid_name), "{kind}: grid name in\n{t}");
        assert!(
            t.contains(&name) && t.contains(&phone),
            "{kind}: worker {name} {phone} in\n{t}"
        );
        let hh = households(&f.data, &f.grid);
        assert!(
            t.contains(&format!("{hh} 户")),
            "{kind}: {hh} households in\n{t}"
        );
        assert!(t.contains(DAY) && t.contains(&format!("?grid={}", f.grid)));
        let images = poppler("pdfimages", &["-list", &pdf.display().to_string()]);
        assert!(
            images.lines().count() > 2,
            "{kind}: the portrait is an image of the PDF:\n{images}"
        );
        assert_eq!(pages(&pdf), 1);

        // A viewer's board shows the phone masked.
        let (viewer_pdf, _) = f.pdf(Some("viewer"), &uri, "viewer.pdf").await;
        let t = text(&viewer_pdf);
        let masked = engine::gridwork::masked_phone(&phone);
        assert!(
            t.contains(&masked) && !t.contains(&phone),
            "{kind}: masked {masked} in\n{t}"
        );

        // The same data prints the same bytes.
        let (_, again) = f.pdf(Some("staff"), &uri, "again.pdf").await;
        assert!(
            bytes == again,
            "{kind}: two prints of the same board differ"
        );
        eprintln!("{kind}: board of {} as expected", f.grid);
    }
}

#[tokio::test]
async fn boards_and_report_match_their_golden_images_and_a_street_prints_as_one_pdf() {
    let (store, _dir) = common::fresh_gpkg().await;
    let f = field(Box::new(store)).await;

    let (board, _) = f
        .pdf(
            Some("staff"),
            &format!("/api/print/boards?grid={}&date={DAY}", f.grid),
            "board.pdf",
        )
        .await;
    matches_golden(&board, "board-longnan-1");
    // A3 is the same board scaled: poppler reports the A3 size.
    let (a3, _) = f
        .pdf(
            Some("staff"),
            &format!("/api/print/boards?grid={}&paper=A3&date={DAY}", f.grid),
            "a3.pdf",
        )
        .await;
    let info = poppler("pdfinfo", &[&a3.display().to_string()]);
    assert!(info.contains("841.89 x 1190.55"), "{info}");
    // One page as PNG at 150 dpi.
    let (s, kind, png_bytes) = f
        .fetch(
            Some("staff"),
            &format!("/api/print/boards?grid={}&format=png&date={DAY}", f.grid),
        )
        .await;
    assert_eq!((s, kind.as_str()), (StatusCode::OK, "image/png"));
    let png_path = f.dir.path().join("board.png");
    std::fs::write(&png_path, png_bytes).expect("png");
    let (_, w, h) = rgb(&png_path);
    assert_eq!((w, h), (1240, 1754));

    // A whole street's boards: one PDF, one page a grid, each grid named.
    let street_grids: Vec<&engine::Grid> = {
        let communities: Vec<&str> = f
            .data
            .communities
            .iter()
            .filter(|c| c.street_code == STREET)
            .map(|c| c.code.as_str())
            .collect();
        f.data
            .grids
            .iter()
            .filter(|g| communities.contains(&g.community_code.as_str()))
            .collect()
    };
    let started = Instant::now();
    let (street, _) = f
        .pdf(
            Some("root"),
            &format!("/api/print/boards?street={STREET}&date={DAY}"),
            "street.pdf",
        )
        .await;
    eprintln!(
        "a street's {} notice boards printed in {:.2} s (debug build)",
        street_grids.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(pages(&street), street_grids.len());
    let t = text(&street);
    for g in &street_grids {
        assert!(t.contains(&g.code), "grid {} on its page", g.code);
    }

    // The street's report: communities ranked worst first, as the coverage API ranks them.
    let (report, _) = f
        .pdf(
            None,
            &format!("/api/print/report?street={STREET}&service=elderly_care&date={DAY}"),
            "report.pdf",
        )
        .await;
    matches_golden(&report, "report-street-1");
    let t = text(&report);
    assert!(
        t.contains("红星街道") && t.contains("薄弱小区") && t.contains("标准依据"),
        "{t}"
    );
    let areas = f
        .json(None, "/api/coverage?level=community&service=elderly_care")
        .await;
    let mut ranked: Vec<(f64, String, String)> = areas["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .filter(|a| a["parent_code"] == STREET)
        .map(|a| {
            let pct = a["services"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["service"] == "elderly_care"))
                .and_then(|s| s["households_pct"].as_f64())
                .unwrap_or(f64::INFINITY);
            (
                pct,
                a["code"].as_str().unwrap_or("").to_owned(),
                a["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let table = &t[t.find("覆盖率由低到高").expect("ranked table")..];
    let positions: Vec<usize> = ranked
        .iter()
        .map(|(_, _, name)| {
            table
                .find(name.as_str())
                .unwrap_or_else(|| panic!("{name} in the table"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "worst first: {ranked:?}"
    );

    // 龙南's report lists its underserved compounds, or says plainly that there are none.
    let (longnan, _) = f
        .pdf(
            None,
            &format!("/api/print/report?community={LONGNAN}&date={DAY}"),
            "longnan.pdf",
        )
        .await;
    let t = text(&longnan);
    let rows = f
        .json(None, &format!("/api/underserved?community_code={LONGNAN}"))
        .await;
    match rows["rows"].as_array().and_then(|r| r.first()) {
        None => assert!(t.contains("龙南社区没有符合条件的薄弱小区"), "{t}"),
        Some(first) => assert!(t.contains(first["name"].as_str().expect("name")), "{t}"),
    }
}

#[tokio::test]
async fn bad_print_requests_get_their_reason() {
    let (store, _dir) = common::fresh_gpkg().await;
    let f = field(Box::new(store)).await;
    let g = &f.grid;
    for (who, uri, status) in [
        (
            None,
            format!("/api/print/boards?grid={g}"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some("staff"),
            "/api/print/boards?grid=999".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            Some("staff"),
            format!("/api/print/boards?grid={g}&community={LONGNAN}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("staff"),
            "/api/print/boards".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("staff"),
            format!("/api/print/boards?grid={g}&paper=B5"),
            StatusCode::BAD_REQUEST,
        ),
        (
            Some("staff"),
            format!("/api/print/boards?grid={g}&format=png&page=9"),
            StatusCode::NOT_FOUND,
        ),
        (
            Some("staff"),
            format!("/api/print/boards?grid={g}&date=2026-13-01"),
            StatusCode::BAD_REQUEST,
        ),
        (
            None,
            format!("/api/print/report?street={STREET}&community={LONGNAN}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            None,
            "/api/print/report?street=999999999".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            None,
            format!("/api/print/report?street={STREET}&service=karaoke"),
            StatusCode::BAD_REQUEST,
        ),
        (
            None,
            format!("/api/print/report?street={STREET}&threshold=-5"),
            StatusCode::BAD_REQUEST,
        ),
        (
            None,
            format!("/api/print/report?street={STREET}&colour=red"),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (s, kind, body) = f.fetch(who, &uri).await;
        assert_eq!(s, status, "{uri}: {}", String::from_utf8_lossy(&body));
        assert!(kind.starts_with("application/json"), "{uri}: {kind}");
        let v: Value = serde_json::from_slice(&body).expect("json error");
        assert!(
            v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{uri}: {v}"
        );
    }
}
