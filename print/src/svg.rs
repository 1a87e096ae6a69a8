//! A page under construction: SVG elements in page points (1/72 in, origin top left), written
//! as text and parsed once by usvg. Every number is written with two decimals, so the same data
//! gives the same bytes.

use std::fmt::Write as _;

use crate::fonts::Fonts;

/// Horizontal anchor of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// Text style: size in points, bold or not, fill colour.
#[derive(Debug, Clone, Copy)]
pub struct Style<'a> {
    pub size: f32,
    pub bold: bool,
    pub fill: &'a str,
    pub anchor: Anchor,
}

impl<'a> Style<'a> {
    pub fn new(size: f32) -> Self {
        Style {
            size,
            bold: false,
            fill: "#1f2933",
            anchor: Anchor::Start,
        }
    }
    #[must_use]
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    #[must_use]
    pub fn fill(mut self, fill: &'a str) -> Self {
        self.fill = fill;
        self
    }
    #[must_use]
    pub fn anchor(mut self, anchor: Anchor) -> Self {
        self.anchor = anchor;
        self
    }
}

/// One page's SVG body.
pub struct Page<'f> {
    pub width: f32,
    pub height: f32,
    body: String,
    fonts: &'f Fonts,
}

/// `v` with two decimals (no `-0.00`).
pub fn n(v: f32) -> String {
    let s = format!("{v:.2}");
    if s == "-0.00" {
        "0.00".into()
    } else {
        s
    }
}

/// `s` escaped for XML text and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl<'f> Page<'f> {
    pub fn new(width: f32, height: f32, fonts: &'f Fonts) -> Self {
        let mut body = String::with_capacity(64 * 1024);
        let _ = write!(
            body,
            r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##,
            n(width),
            n(height)
        );
        Page {
            width,
            height,
            body,
            fonts,
        }
    }

    pub fn fonts(&self) -> &'f Fonts {
        self.fonts
    }

    /// Width of `text` in points at `style`.
    pub fn measure(&self, text: &str, style: Style) -> f32 {
        self.fonts.measure(text, style.size, style.bold)
    }

    /// Raw SVG markup (already escaped).
    pub fn raw(&mut self, markup: &str) {
        self.body.push_str(markup);
    }

    pub fn rect(
        &mut self,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: &str,
        stroke: Option<(&str, f32)>,
    ) {
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}""#,
            n(x),
            n(y),
            n(w),
            n(h)
        );
        if let Some((colour, width)) = stroke {
            let _ = write!(
                self.body,
                r#" stroke="{colour}" stroke-width="{}""#,
                n(width)
            );
        }
        self.body.push_str("/>");
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, stroke: &str, width: f32) {
        let _ = write!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="{}"/>"#,
            n(x1),
            n(y1),
            n(x2),
            n(y2),
            n(width)
        );
    }

    /// A path `d` with fill and optional stroke; `extra` is added as attributes as given.
    pub fn path(&mut self, d: &str, fill: &str, stroke: Option<(&str, f32)>, extra: &str) {
        let _ = write!(
            self.body,
            r#"<path d="{d}" fill="{fill}" fill-rule="evenodd""#
        );
        if let Some((colour, width)) = stroke {
            let _ = write!(
                self.body,
                r#" stroke="{colour}" stroke-width="{}" stroke-linejoin="round""#,
                n(width)
            );
        }
        if !extra.is_empty() {
            self.body.push(' ');
            self.body.push_str(extra);
        }
        self.body.push_str("/>");
    }

    /// One line of text with its baseline at `y`.
    pub fn text(&mut self, x: f32, y: f32, text: &str, style: Style) {
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" font-family="{}" font-size="{}" font-weight="{}" fill="{}" text-anchor="{anchor}">{}</text>"#,
            n(x),
            n(y),
            esc(self.fonts.family()),
            n(style.size),
            if style.bold { 700 } else { 400 },
            style.fill,
            esc(text)
        );
    }

    /// `text` cut to `width` points with an ellipsis when it is longer.
    pub fn fit(&self, text: &str, width: f32, style: Style) -> String {
        if self.measure(text, style) <= width {
            return text.to_owned();
        }
        let mut out = String::new();
        for c in text.chars() {
            let mut next = out.clone();
            next.push(c);
            next.push('…');
            if self.measure(&next, style) > width {
                break;
            }
            out.push(c);
        }
        out.push('…');
        out
    }

    /// `text` broken into lines of at most `width` points (at any character: Chinese has no
    /// spaces), at most `max_lines`, the last cut with an ellipsis.
    pub fn wrap(&self, text: &str, width: f32, style: Style, max_lines: usize) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for c in text.chars() {
            let mut next = line.clone();
            next.push(c);
            if self.measure(&next, style) > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max_lines {
            let rest: String = lines[max_lines - 1..].concat();
            lines.truncate(max_lines - 1);
            lines.push(self.fit(&rest, width, style));
        }
        lines
    }

    /// The page as an SVG document of `width` × `height` points.
    pub fn finish(self) -> String {
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}" height="{h}" viewBox="0 0 {w} {h}">{}</svg>"#,
            self.body,
            w = n(self.width),
            h = n(self.height)
        )
    }
}
