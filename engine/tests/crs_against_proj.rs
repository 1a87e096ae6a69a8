//! The CGCS2000 Gauss-Krüger zones against PROJ: in every zone EPSG:4491–4554, points across the
//! zone and its tolerance (edges included) from 0.5°N to 56°N are projected by `gdaltransform`
//! (GDAL over PROJ) and by the engine, forward and inverse, and must agree within 1 cm.
//! Needs gdal-bin; without `gdaltransform` the tests fail (they do not skip).

use std::fmt::Write as _;
use std::io::Write;
use std::process::{Command, Stdio};

use geo_types::{coord, Coord};
use gridatlas_engine::crs::gauss_kruger::ZONE_TOLERANCE_DEG;
use gridatlas_engine::crs::{Crs, GkZone};

const LATITUDES: [f64; 11] = [
    0.5, 4.0, 10.0, 18.0, 24.0, 30.0, 36.0, 42.0, 48.0, 53.5, 55.99,
];
const AGREEMENT_M: f64 = 0.01;

/// `points` from `from` to `to` by gdaltransform, one call for all of them.
fn gdaltransform(from: &str, to: &str, points: &[Coord]) -> Vec<Coord> {
    let mut child = Command::new("gdaltransform")
        .args(["-s_srs", from, "-t_srs", to, "-output_xy"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("gdaltransform (gdal-bin) is needed to check the projections against PROJ: {e}")
        });
    let mut input = String::new();
    for p in points {
        writeln!(input, "{:.12} {:.12}", p.x, p.y).expect("a string takes it");
    }
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("gdaltransform reads");
    let out = child.wait_with_output().expect("gdaltransform runs");
    assert!(
        out.status.success(),
        "gdaltransform {from} → {to} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Coord> = String::from_utf8(out.stdout)
        .expect("text")
        .lines()
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .map(|x| x.parse().expect("a number"))
                .collect();
            coord! { x: v[0], y: v[1] }
        })
        .collect();
    assert_eq!(lines.len(), points.len(), "one output line per point");
    lines
}

/// Lon/lat points across the zone: 9 steps over the zone plus its tolerance (less 1 mm-ish so
/// that the check accepts them), the zone's own edges and its central meridian.
fn points_in(zone: GkZone) -> Vec<Coord> {
    let cm = zone.central_meridian();
    let half = zone.width().degrees() / 2.0;
    let reach = half + ZONE_TOLERANCE_DEG - 1e-6;
    let mut offsets: Vec<f64> = (0..=8)
        .map(|i| -reach + f64::from(i) * reach / 4.0)
        .collect();
    offsets.extend([-half, half]);
    LATITUDES
        .iter()
        .flat_map(|&lat| offsets.iter().map(move |d| coord! { x: cm + d, y: lat }))
        .collect()
}

/// Ground distance in metres between two nearby lon/lat points.
fn metres(a: Coord, b: Coord) -> f64 {
    let dx = (a.x - b.x) * 111_320.0 * a.y.to_radians().cos();
    let dy = (a.y - b.y) * 110_574.0;
    dx.hypot(dy)
}

/// The largest forward and inverse difference to PROJ over the zones of `codes`, in metres.
fn compare(codes: std::ops::RangeInclusive<u32>) -> (f64, f64) {
    let (mut forward, mut inverse) = (0f64, 0f64);
    for code in codes {
        let zone = GkZone::from_epsg(code).expect("a zone");
        let crs = Crs::GaussKruger(zone);
        let epsg = format!("EPSG:{code}");
        let lonlat = points_in(zone);
        let theirs = gdaltransform("EPSG:4490", &epsg, &lonlat);
        // 30°N on the central meridian: gdaltransform gives easting first, the false easting.
        let centre = theirs[5 * 11 + 4];
        assert!(
            (centre.x - zone.false_easting()).abs() < 1e-3,
            "{epsg}: axis order of gdaltransform: {centre:?}"
        );
        for (p, t) in lonlat.iter().zip(&theirs) {
            let ours = zone.forward(*p).expect("projects");
            forward = forward.max((ours.x - t.x).hypot(ours.y - t.y));
            let back = crs.to_wgs84_checked(*t).unwrap_or_else(|e| panic!("{e}"));
            inverse = inverse.max(metres(back, *p));
        }
        // Inverse on other points than PROJ's own forward images.
        let shifted: Vec<Coord> = theirs
            .iter()
            .map(|t| coord! { x: t.x + 123.456, y: t.y + 78.9 })
            .collect();
        let theirs_back = gdaltransform(&epsg, "EPSG:4490", &shifted);
        for (s, t) in shifted.iter().zip(&theirs_back) {
            let ours = zone.inverse(*s).expect("inverts");
            inverse = inverse.max(metres(ours, *t));
        }
    }
    (forward, inverse)
}

fn check(family: &str, codes: std::ops::RangeInclusive<u32>) {
    let (forward, inverse) = compare(codes);
    println!("{family}: max difference to PROJ forward {forward:.1e} m, inverse {inverse:.1e} m");
    assert!(
        forward < AGREEMENT_M && inverse < AGREEMENT_M,
        "{family}: {forward} m, {inverse} m"
    );
}

#[test]
fn six_degree_zones_with_prefix_4491_4501_agree_with_proj() {
    check("6° zones 13–23, prefixed", 4491..=4501);
}

#[test]
fn six_degree_zones_without_prefix_4502_4512_agree_with_proj() {
    check("6° zones CM 75–135E", 4502..=4512);
}

#[test]
fn three_degree_zones_with_prefix_4513_4533_agree_with_proj() {
    check("3° zones 25–45, prefixed", 4513..=4533);
}

#[test]
fn three_degree_zones_without_prefix_4534_4554_agree_with_proj() {
    check("3° zones CM 75–135E", 4534..=4554);
}
