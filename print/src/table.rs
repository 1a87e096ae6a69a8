//! Tables on paper: a header row and zebra rows, each cell cut to its column.

use crate::svg::{Anchor, Page, Style};

/// One column: heading, width in points, right-aligned (numbers) or not.
pub struct Column<'a> {
    pub title: &'a str,
    pub width: f32,
    pub numeric: bool,
}

/// Row height, points.
pub const ROW: f32 = 15.0;
const SIZE: f32 = 8.0;

/// Draws the header and `rows` from `y` on; returns the y below the table. A cell may carry a
/// colour after a `|` (`"12.5%|#b30000"`).
pub fn draw(page: &mut Page, x: f32, y: f32, columns: &[Column], rows: &[Vec<String>]) -> f32 {
    let width: f32 = columns.iter().map(|c| c.width).sum();
    page.rect(x, y, width, ROW + 2.0, "#1f4e79", None);
    let mut cx = x;
    for c in columns {
        let style = Style::new(SIZE).bold().fill("#ffffff");
        let title = page.fit(c.title, c.width - 6.0, style);
        if c.numeric {
            page.text(
                cx + c.width - 3.0,
                y + 11.5,
                &title,
                style.anchor(Anchor::End),
            );
        } else {
            page.text(cx + 3.0, y + 11.5, &title, style);
        }
        cx += c.width;
    }
    let mut ry = y + ROW + 2.0;
    for (i, row) in rows.iter().enumerate() {
        if i % 2 == 1 {
            page.rect(x, ry, width, ROW, "#eef2f6", None);
        }
        let mut cx = x;
        for (c, cell) in columns.iter().zip(row) {
            let (text, colour) = cell.split_once('|').unwrap_or((cell.as_str(), "#1f2933"));
            let style = Style::new(SIZE).fill(colour);
            let text = page.fit(text, c.width - 6.0, style);
            if c.numeric {
                page.text(
                    cx + c.width - 3.0,
                    ry + 10.5,
                    &text,
                    style.anchor(Anchor::End),
                );
            } else {
                page.text(cx + 3.0, ry + 10.5, &text, style);
            }
            cx += c.width;
        }
        ry += ROW;
    }
    page.line(x, ry, x + width, ry, "#9aa5b1", 0.6);
    ry
}

/// How many rows fit between `y` and `bottom` under a header.
pub fn rows_fitting(y: f32, bottom: f32) -> usize {
    (((bottom - y - ROW - 2.0) / ROW).floor().max(0.0)) as usize
}
