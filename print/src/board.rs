//! The grid notice board 网格公示牌: one page per grid with its name, community and street, a map
//! of the grid's boundary over its compounds and buildings, its households and load, its grid
//! workers with photo, phone and duties, its building heads, a QR code to the grid's page, the
//! date and the data version. Laid out on A4 and scaled whole to A3.

use chrono::NaiveDate;
use engine::gridwork::board::{BoardWorker, GridBoard};
use engine::planning::UnitKind;
use geo::InteriorPoint;
use geo_types::Geometry;

use crate::map::{bounds, Labels, MapFrame};
use crate::svg::{esc, n, Anchor, Page, Style};
use crate::{Paper, PrintError, Printed, Printer};

/// Layout width and height, points (A4 portrait; A3 is the same page scaled).
const W: f32 = 595.28;
const H: f32 = 841.89;
const MARGIN: f32 = 30.0;
const RED: &str = "#b91c1c";

/// How boards are printed.
#[derive(Debug, Clone)]
pub struct BoardOptions {
    pub paper: Paper,
    /// The date printed on the board (制表日期).
    pub date: NaiveDate,
    /// The web map's address: the QR code leads to `{link}/?grid={code}`.
    pub link: String,
}

impl Printer {
    /// One page per board, in order.
    pub fn notice_boards(
        &self,
        boards: &[GridBoard],
        options: &BoardOptions,
    ) -> Result<Printed, PrintError> {
        let pages = boards.iter().map(|b| self.board_page(b, options)).collect();
        let title = match boards {
            [one] => format!("{} {} 网格公示牌", one.community_name, one.grid_name),
            _ => "网格公示牌".to_owned(),
        };
        self.document(pages, options.paper, &title)
    }

    fn board_page(&self, board: &GridBoard, options: &BoardOptions) -> String {
        let mut page = Page::new(W, H, self.fonts());
        header(&mut page, board);
        let map_bottom = draw_map(&mut page, board);
        let facts_bottom = facts(&mut page, board, map_bottom + 12.0);
        let workers_bottom = workers(&mut page, &board.workers, facts_bottom + 16.0);
        heads(&mut page, board, workers_bottom + 14.0, H - 96.0);
        footer(&mut page, board, options);
        page.finish()
    }
}

fn header(page: &mut Page, board: &GridBoard) {
    page.rect(0.0, 0.0, W, 80.0, RED, None);
    let white = "#ffffff";
    page.text(MARGIN, 26.0, "网格公示牌", Style::new(12.0).fill(white));
    // A grid named after its community (龙南社区第1网格) needs no second mention of it.
    let title = if board.grid_name.starts_with(&board.community_name) {
        board.grid_name.clone()
    } else {
        format!("{} · {}", board.community_name, board.grid_name)
    };
    let style = Style::new(24.0).bold().fill(white);
    let title = page.fit(&title, W - 2.0 * MARGIN - 150.0, style);
    page.text(MARGIN, 60.0, &title, style);
    let right = Style::new(10.0).fill(white).anchor(Anchor::End);
    page.text(W - MARGIN, 40.0, &board.street_name, right);
    page.text(
        W - MARGIN,
        58.0,
        &format!("网格编码 {}", board.grid_code),
        right,
    );
}

/// The map of the grid; returns its bottom.
fn draw_map(page: &mut Page, board: &GridBoard) -> f32 {
    let (x, y, w, h) = (MARGIN, 94.0, W - 2.0 * MARGIN, 330.0);
    let outline = Geometry::Polygon(board.boundary.clone());
    let extent = bounds(std::iter::once(&outline).chain(board.units.iter().map(|u| &u.geometry)));
    let Some(extent) = extent else {
        page.rect(x, y, w, h, "#f4f1ea", Some(("#52606d", 0.8)));
        page.text(
            x + w / 2.0,
            y + h / 2.0,
            "本网格尚无边界和小区",
            Style::new(12.0).anchor(Anchor::Middle).fill("#52606d"),
        );
        return y + h;
    };
    let frame = MapFrame::fit(x, y, w, h, extent, 0.06, "board-map");
    frame.begin(page);
    if !board.boundary.exterior().0.is_empty() {
        page.path(&frame.polygon_path(&board.boundary), "#ffffff", None, "");
    }
    for u in board
        .units
        .iter()
        .filter(|u| u.kind != UnitKind::ScatteredBuilding)
    {
        frame.geometry(page, &u.geometry, "#dbe9f6", ("#5b7fa6", 0.7));
    }
    for b in &board.buildings {
        frame.geometry(page, b, "#b8c4d0", ("#7b8794", 0.4));
    }
    for u in board
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::ScatteredBuilding)
    {
        frame.geometry(page, &u.geometry, "#7b8794", ("#3e4c59", 0.5));
    }
    if !board.boundary.exterior().0.is_empty() {
        page.path(
            &frame.polygon_path(&board.boundary),
            "none",
            Some((RED, 2.2)),
            "",
        );
    }
    let mut labels = Labels::default();
    // Larger units are labelled first: they are the ones people look for.
    let mut order: Vec<usize> = (0..board.units.len()).collect();
    order.sort_by(|a, b| {
        board.units[*b]
            .households
            .cmp(&board.units[*a].households)
            .then(a.cmp(b))
    });
    for i in order {
        let u = &board.units[i];
        if let Some(p) = u.geometry.interior_point() {
            let (px, py) = frame.point(p.0);
            let style = if u.kind == UnitKind::ScatteredBuilding {
                Style::new(6.5).fill("#3e4c59")
            } else {
                Style::new(8.0).bold().fill("#102a43")
            };
            let dy = if u.kind == UnitKind::ScatteredBuilding {
                -7.0
            } else {
                0.0
            };
            labels.place(page, &frame, px, py + dy, &u.name, style);
        }
    }
    frame.end(page);
    y + h
}

/// The figures row; returns its bottom.
fn facts(page: &mut Page, board: &GridBoard, y: f32) -> f32 {
    let compounds = board
        .units
        .iter()
        .filter(|u| u.kind != UnitKind::ScatteredBuilding)
        .count();
    let scattered = board.units.len() - compounds;
    let three_no = board.units.iter().filter(|u| u.three_no).count();
    let cells = [
        ("户数", format!("{} 户", board.households)),
        ("小区 / 院落", format!("{compounds} 个")),
        ("散居楼栋", format!("{scattered} 栋")),
        ("三无小区", format!("{three_no} 个")),
        ("网格负荷", format!("{:.0}%", board.load * 100.0)),
    ];
    let cw = (W - 2.0 * MARGIN) / cells.len() as f32;
    for (i, (label, value)) in cells.iter().enumerate() {
        let cx = MARGIN + cw * i as f32;
        page.rect(
            cx + 2.0,
            y,
            cw - 4.0,
            44.0,
            "#f8f1f1",
            Some(("#e5c4c4", 0.6)),
        );
        page.text(
            cx + cw / 2.0,
            y + 15.0,
            label,
            Style::new(8.5).fill("#52606d").anchor(Anchor::Middle),
        );
        let over = i == 4 && board.load > 1.0;
        page.text(
            cx + cw / 2.0,
            y + 36.0,
            value,
            Style::new(15.0)
                .bold()
                .fill(if over { RED } else { "#102a43" })
                .anchor(Anchor::Middle),
        );
    }
    let note = format!(
        "负荷 = 户数 ÷ 上限：老旧小区和散居楼栋每网格不超过 {} 户，新建小区不超过 {} 户",
        board.caps.old, board.caps.new
    );
    page.text(MARGIN, y + 58.0, &note, Style::new(7.5).fill("#52606d"));
    y + 60.0
}

fn section(page: &mut Page, y: f32, title: &str) {
    page.rect(MARGIN, y - 11.0, 4.0, 14.0, RED, None);
    page.text(MARGIN + 9.0, y, title, Style::new(12.0).bold());
}

/// The grid workers' cards; returns their bottom.
fn workers(page: &mut Page, workers: &[BoardWorker], y: f32) -> f32 {
    section(page, y, "网格员");
    let top = y + 10.0;
    if workers.is_empty() {
        page.text(
            MARGIN,
            top + 16.0,
            "本网格尚未登记网格员。",
            Style::new(9.0).fill("#52606d"),
        );
        return top + 24.0;
    }
    const PER_ROW: usize = 3;
    const ROWS: usize = 2;
    let (cw, ch) = ((W - 2.0 * MARGIN) / PER_ROW as f32, 92.0);
    for (i, worker) in workers.iter().take(PER_ROW * ROWS).enumerate() {
        let cx = MARGIN + cw * (i % PER_ROW) as f32;
        let cy = top + ch * (i / PER_ROW) as f32;
        card(page, worker, cx, cy, cw - 8.0, ch - 8.0, i);
    }
    let shown = workers.len().min(PER_ROW * ROWS);
    let mut bottom = top + ch * shown.div_ceil(PER_ROW) as f32;
    if workers.len() > shown {
        page.text(
            MARGIN,
            bottom + 4.0,
            &format!("另有 {} 位网格员，见网格工作台。", workers.len() - shown),
            Style::new(8.0).fill("#52606d"),
        );
        bottom += 10.0;
    }
    bottom
}

fn card(page: &mut Page, w: &BoardWorker, x: f32, y: f32, cw: f32, ch: f32, i: usize) {
    page.rect(x, y, cw, ch, "#ffffff", Some(("#d9e2ec", 0.8)));
    let (px, py, pw, ph) = (x + 6.0, y + 6.0, 54.0, ch - 12.0);
    match &w.photo {
        Some(url) => {
            page.raw(&format!(
                r#"<clipPath id="photo{i}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath><image clip-path="url(#photo{i})" x="{}" y="{}" width="{}" height="{}" preserveAspectRatio="xMidYMid slice" xlink:href="{}"/>"#,
                n(px), n(py), n(pw), n(ph), n(px), n(py), n(pw), n(ph), esc(url)
            ));
        }
        None => silhouette(page, px, py, pw, ph),
    }
    page.rect(px, py, pw, ph, "none", Some(("#9aa5b1", 0.5)));
    let tx = px + pw + 8.0;
    let tw = cw - pw - 20.0;
    let name = Style::new(13.0).bold();
    let fitted = page.fit(&w.name, tw, name);
    page.text(tx, y + 22.0, &fitted, name);
    page.text(tx, y + 38.0, &w.phone, Style::new(10.0).fill(RED).bold());
    // 综合网格员、综治网格员 … read as 综合、综治 … 网格员.
    let duties = if w.duties.is_empty() {
        "网格员".to_owned()
    } else {
        let short: Vec<&str> = w
            .duties
            .iter()
            .map(|d| d.trim_end_matches("网格员"))
            .collect();
        format!("{}网格员", short.join("、"))
    };
    let small = Style::new(7.5).fill("#3e4c59");
    for (k, line) in page.wrap(&duties, tw, small, 2).iter().enumerate() {
        page.text(tx, y + 52.0 + 10.0 * k as f32, line, small);
    }
    page.text(
        tx,
        y + ch - 6.0,
        &format!("上岗 {}", w.start_date),
        Style::new(7.0).fill("#7b8794"),
    );
}

/// A neutral head-and-shoulders mark where no photo is recorded.
fn silhouette(page: &mut Page, x: f32, y: f32, w: f32, h: f32) {
    page.rect(x, y, w, h, "#e4e7eb", None);
    let cx = x + w / 2.0;
    page.raw(&format!(
        r##"<circle cx="{}" cy="{}" r="{}" fill="#bcccdc"/>"##,
        n(cx),
        n(y + h * 0.36),
        n(w * 0.2)
    ));
    page.path(
        &format!(
            "M{} {} Q{} {} {} {} Z",
            n(x + w * 0.15),
            n(y + h),
            n(cx),
            n(y + h * 0.45),
            n(x + w * 0.85),
            n(y + h)
        ),
        "#bcccdc",
        None,
        "",
    );
    page.text(
        cx,
        y + h - 4.0,
        "未上传照片",
        Style::new(5.5).fill("#52606d").anchor(Anchor::Middle),
    );
}

/// The building heads in three columns down to `bottom`.
fn heads(page: &mut Page, board: &GridBoard, y: f32, bottom: f32) {
    section(page, y, "楼栋长");
    let top = y + 12.0;
    if board.heads.is_empty() {
        page.text(
            MARGIN,
            top + 12.0,
            "本网格尚未登记楼栋长。",
            Style::new(9.0).fill("#52606d"),
        );
        return;
    }
    const COLS: usize = 3;
    let cw = (W - 2.0 * MARGIN) / COLS as f32;
    let line = 13.0;
    let per_col = (((bottom - top) / line).floor() as usize).max(1);
    let capacity = per_col * COLS;
    let shown = if board.heads.len() > capacity {
        capacity - 1
    } else {
        board.heads.len()
    };
    let style = Style::new(8.0);
    for (i, head) in board.heads.iter().take(shown).enumerate() {
        let cx = MARGIN + cw * (i / per_col) as f32;
        let cy = top + 10.0 + line * (i % per_col) as f32;
        let name = Style::new(8.0).bold();
        page.text(cx, cy, &page.fit(&head.name, 40.0, name), name);
        page.text(
            cx + 42.0,
            cy,
            &page.fit(&head.unit, cw - 112.0, style),
            style,
        );
        page.text(cx + cw - 8.0, cy, &head.phone, style.anchor(Anchor::End));
    }
    if shown < board.heads.len() {
        let i = shown;
        page.text(
            MARGIN + cw * (i / per_col) as f32,
            top + 10.0 + line * (i % per_col) as f32,
            &format!("另有 {} 位，见网格工作台", board.heads.len() - shown),
            Style::new(8.0).fill("#52606d"),
        );
    }
}

fn footer(page: &mut Page, board: &GridBoard, options: &BoardOptions) {
    let y = H - 84.0;
    page.line(MARGIN, y, W - MARGIN, y, "#d9e2ec", 0.8);
    let url = format!(
        "{}/?grid={}",
        options.link.trim_end_matches('/'),
        board.grid_code
    );
    let size = 64.0;
    let qx = W - MARGIN - size;
    qr(page, &url, qx, y + 8.0, size);
    let right = Style::new(8.0).anchor(Anchor::End);
    page.text(qx - 8.0, y + 30.0, "扫码查看本网格", right.bold());
    page.text(
        qx - 8.0,
        y + 44.0,
        &page.fit(&url, 260.0, right),
        right.fill("#52606d"),
    );
    let small = Style::new(8.5);
    page.text(
        MARGIN,
        y + 24.0,
        &format!("制表日期：{}", options.date.format("%Y-%m-%d")),
        small,
    );
    page.text(
        MARGIN,
        y + 38.0,
        &format!("数据版本：v{}", board.data_version),
        small,
    );
    page.text(
        MARGIN,
        y + 58.0,
        "Grid Atlas 社区网格与服务设施一张图",
        Style::new(7.5).fill("#7b8794"),
    );
}

/// A QR code of `text` drawn as one path of dark modules, `size` points square.
fn qr(page: &mut Page, text: &str, x: f32, y: f32, size: f32) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return;
    };
    let modules = code.width();
    let colours = code.to_colors();
    // Four modules of quiet zone on each side, as the standard asks.
    let unit = size / (modules + 8) as f32;
    let mut d = String::new();
    for (i, c) in colours.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let mx = x + unit * (4 + i % modules) as f32;
            let my = y + unit * (4 + i / modules) as f32;
            d.push_str(&format!(
                "M{} {}h{}v{}h-{}Z",
                n(mx),
                n(my),
                n(unit),
                n(unit),
                n(unit)
            ));
        }
    }
    page.rect(x, y, size, size, "#ffffff", None);
    page.path(&d, "#000000", None, r#"shape-rendering="crispEdges""#);
}
