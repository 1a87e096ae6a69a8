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
        cell(
            page,
            c,
            cx,
            y + 11.5,
            c.title,
            Style::new(SIZE).bold().fill("#ffffff"),
        );
        cx += c.width;
    }
    let mut ry = y + ROW + 2.0;
    for (i, row) in rows.iter().enumerate() {
        if i % 2 == 1 {
            page.rect(x, ry, width, ROW, "#eef2f6", None);
        }
        let mut cx = x;
        for (c, text) in columns.iter().zip(row) {
            let (text, colour) = text.split_once('|').unwrap_or((text.as_str(), "#1f2933"));
            cell(page, c, cx, ry + 10.5, text, Style::new(SIZE).fill(colour));
            cx += c.width;
        }
        ry += ROW;
    }
    page.line(x, ry, x + width, ry, "#9aa5b1", 0.6);
    ry
}

/// One cell's text in column `c` starting at `x`, baseline `y`: cut to the column, numbers
/// right-aligned.
fn cell(page: &mut Page, c: &Column, x: f32, y: f32, text: &str, style: Style) {
    let text = page.fit(text, c.width - 6.0, style);
    if c.numeric {
        page.text(x + c.width - 3.0, y, &text, style.anchor(Anchor::End));
    } else {
        page.text(x + 3.0, y, &text, style);
    }
}

/// How many rows fit between `y` and `bottom` under a header.
pub fn rows_fitting(y: f32, bottom: f32) -> usize {
    (((bottom - y - ROW - 2.0) / ROW).floor().max(0.0)) as usize
}
