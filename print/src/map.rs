//! A map on paper: lon/lat fitted into a frame in Web Mercator (as the web map draws it), with
//! a scale bar measured on the ellipsoid and a north arrow.

use std::fmt::Write as _;

use geo::{BoundingRect, Distance, Geodesic};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon, Rect};

use crate::svg::{n, Anchor, Page, Style};

/// A frame on the page showing a lon/lat rectangle.
#[derive(Debug, Clone)]
pub struct MapFrame {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Mercator units (radians of longitude) → points.
    scale: f64,
    /// Mercator coordinates of the frame's top-left corner.
    origin: (f64, f64),
    clip: String,
}

fn mercator(c: Coord) -> (f64, f64) {
    let lat = c.y.clamp(-85.0, 85.0).to_radians();
    (
        c.x.to_radians(),
        (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

impl MapFrame {
    /// A frame at (`x`, `y`) of `w` × `h` points showing `bounds` (lon/lat) whole, centred, with
    /// `margin` (a share of the extent) around it. `id` names its clip path (unique per page).
    pub fn fit(x: f32, y: f32, w: f32, h: f32, bounds: Rect, margin: f64, id: &str) -> MapFrame {
        let (x0, y0) = mercator(bounds.min());
        let (x1, y1) = mercator(bounds.max());
        let (dx, dy) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
        let scale = (f64::from(w) / (dx * (1.0 + 2.0 * margin)))
            .min(f64::from(h) / (dy * (1.0 + 2.0 * margin)));
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        MapFrame {
            x,
            y,
            w,
            h,
            scale,
            origin: (
                cx - f64::from(w) / 2.0 / scale,
                cy + f64::from(h) / 2.0 / scale,
            ),
            clip: id.to_owned(),
        }
    }

    /// Page point of a lon/lat coordinate.
    pub fn point(&self, c: Coord) -> (f32, f32) {
        let (mx, my) = mercator(c);
        (
            self.x + ((mx - self.origin.0) * self.scale) as f32,
            self.y + ((self.origin.1 - my) * self.scale) as f32,
        )
    }

    fn ring(&self, ring: &LineString, d: &mut String) {
        for (i, c) in ring.coords().enumerate() {
            let (px, py) = self.point(*c);
            let _ = write!(d, "{}{} {} ", if i == 0 { 'M' } else { 'L' }, n(px), n(py));
        }
        d.push('Z');
    }

    /// SVG path data of a polygon (holes included).
    pub fn polygon_path(&self, p: &Polygon) -> String {
        let mut d = String::new();
        self.ring(p.exterior(), &mut d);
        for hole in p.interiors() {
            self.ring(hole, &mut d);
        }
        d
    }

    pub fn multipolygon_path(&self, mp: &MultiPolygon) -> String {
        mp.0.iter().map(|p| self.polygon_path(p)).collect()
    }

    /// Opens the frame: its background and a clip to its edge. Close with [`MapFrame::end`].
    pub fn begin(&self, page: &mut Page) {
        page.rect(self.x, self.y, self.w, self.h, "#f4f1ea", None);
        page.raw(&format!(
            r#"<clipPath id="{}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath><g clip-path="url(#{})">"#,
            self.clip,
            n(self.x),
            n(self.y),
            n(self.w),
            n(self.h),
            self.clip
        ));
    }

    /// Closes the frame with its border, a scale bar and a north arrow.
    pub fn end(&self, page: &mut Page) {
        page.raw("</g>");
        page.rect(
            self.x,
            self.y,
            self.w,
            self.h,
            "none",
            Some(("#52606d", 0.8)),
        );
        self.scale_bar(page);
        self.north_arrow(page);
    }

    /// Draws a geometry: polygons filled, points as small squares, lines stroked.
    pub fn geometry(&self, page: &mut Page, g: &Geometry, fill: &str, stroke: (&str, f32)) {
        match g {
            Geometry::Polygon(p) => page.path(&self.polygon_path(p), fill, Some(stroke), ""),
            Geometry::MultiPolygon(mp) => {
                page.path(&self.multipolygon_path(mp), fill, Some(stroke), "");
            }
            Geometry::Point(p) => {
                let (x, y) = self.point(p.0);
                page.rect(x - 2.5, y - 2.5, 5.0, 5.0, fill, Some(stroke));
            }
            Geometry::LineString(l) => {
                let mut d = String::new();
                for (i, c) in l.coords().enumerate() {
                    let (px, py) = self.point(*c);
                    let _ = write!(d, "{}{} {} ", if i == 0 { 'M' } else { 'L' }, n(px), n(py));
                }
                page.path(&d, "none", Some(stroke), "");
            }
            _ => {}
        }
    }

    /// Ground metres across `points` points at the frame's centre, on the ellipsoid.
    fn metres_per_point(&self) -> f64 {
        let mid_y = self.origin.1 - f64::from(self.h) / 2.0 / self.scale;
        let lat = (2.0 * mid_y.exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
        let lon = (self.origin.0 + f64::from(self.w) / 2.0 / self.scale).to_degrees();
        let dlon = (100.0 / self.scale).to_degrees();
        Geodesic.distance(Point::new(lon, lat), Point::new(lon + dlon, lat)) / 100.0
    }

    fn scale_bar(&self, page: &mut Page) {
        let per_pt = self.metres_per_point();
        // The longest round length that fits in a fifth of the frame.
        let max_m = per_pt * f64::from(self.w) / 5.0;
        let step = [1.0, 2.0, 5.0]
            .iter()
            .flat_map(|m| (0..7).map(move |e| m * 10f64.powi(e)))
            .filter(|len| *len <= max_m)
            .fold(1.0, f64::max);
        let len = (step / per_pt) as f32;
        let (x, y) = (self.x + 10.0, self.y + self.h - 12.0);
        page.rect(x - 4.0, y - 14.0, len + 8.0 + 34.0, 20.0, "#ffffff", None);
        page.rect(x, y - 3.0, len / 2.0, 3.0, "#1f2933", None);
        page.rect(
            x + len / 2.0,
            y - 3.0,
            len / 2.0,
            3.0,
            "#ffffff",
            Some(("#1f2933", 0.5)),
        );
        page.rect(x, y - 3.0, len, 3.0, "none", Some(("#1f2933", 0.5)));
        let label = if step >= 1000.0 {
            format!("{} km", step / 1000.0)
        } else {
            format!("{step} m")
        };
        page.text(x + len + 4.0, y, &label, Style::new(7.0));
        page.text(x, y - 5.0, "0", Style::new(6.0));
    }

    fn north_arrow(&self, page: &mut Page) {
        let (cx, top) = (self.x + self.w - 18.0, self.y + 10.0);
        page.path(
            &format!(
                "M{} {} L{} {} L{} {} L{} {} Z",
                n(cx),
                n(top),
                n(cx + 6.0),
                n(top + 18.0),
                n(cx),
                n(top + 14.0),
                n(cx - 6.0),
                n(top + 18.0)
            ),
            "#1f2933",
            Some(("#ffffff", 0.8)),
            "",
        );
        page.text(
            cx,
            top + 28.0,
            "N",
            Style::new(8.0).bold().anchor(Anchor::Middle),
        );
    }
}

/// The lon/lat bounds of geometries (none when all are empty).
pub fn bounds<'a>(geometries: impl IntoIterator<Item = &'a Geometry>) -> Option<Rect> {
    geometries
        .into_iter()
        .filter_map(BoundingRect::bounding_rect)
        .reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
}

/// Label boxes already placed on a map, so that labels do not overprint each other.
#[derive(Default)]
pub struct Labels {
    placed: Vec<(f32, f32, f32, f32)>,
}

impl Labels {
    /// Places `text` centred at (`x`, `y`) unless it would overlap a placed label or leave the
    /// frame; returns whether it was placed.
    pub fn place(
        &mut self,
        page: &mut Page,
        frame: &MapFrame,
        x: f32,
        y: f32,
        text: &str,
        style: Style,
    ) -> bool {
        let w = page.measure(text, style) + 2.0;
        let h = style.size + 2.0;
        let b = (x - w / 2.0, y - h / 2.0, x + w / 2.0, y + h / 2.0);
        let inside = b.0 >= frame.x
            && b.2 <= frame.x + frame.w
            && b.1 >= frame.y
            && b.3 <= frame.y + frame.h;
        if !inside
            || self
                .placed
                .iter()
                .any(|p| b.0 < p.2 && p.0 < b.2 && b.1 < p.3 && p.1 < b.3)
        {
            return false;
        }
        self.placed.push(b);
        // A white halo under the text keeps it readable over fills.
        page.raw(&format!(
            r##"<text x="{}" y="{}" font-family="{}" font-size="{}" font-weight="{}" fill="none" stroke="#ffffff" stroke-width="2" stroke-linejoin="round" text-anchor="middle">{}</text>"##,
            n(x),
            n(y + style.size * 0.35),
            crate::svg::esc(page.fonts().family()),
            n(style.size),
            if style.bold { 700 } else { 400 },
            crate::svg::esc(text)
        ));
        page.text(x, y + style.size * 0.35, text, style.anchor(Anchor::Middle));
        true
    }
}
