//! The coverage report 覆盖报告 of a street or community (A4, several pages): the heatmap of the
//! service with legend, scale bar, north arrow, threshold and date; the parts ranked worst
//! first with their coverage and governance; the underserved compounds with their evidence;
//! the standards behind every threshold.

use chrono::NaiveDate;
use engine::analysis::report::ReportFacts;
use engine::analysis::{AreaLevel, AreaSummary, DistanceMetric, HeatCell};
use geo::InteriorPoint;
use geo_types::Geometry;

use crate::map::{Labels, MapFrame};
use crate::svg::{Anchor, Page, Style};
use crate::table::{self, Column};
use crate::{Paper, PrintError, Printed, Printer};

const W: f32 = 595.28;
const H: f32 = 841.89;
const MARGIN: f32 = 36.0;
const BLUE: &str = "#1f4e79";
const TOP: f32 = 70.0;
const BOTTOM: f32 = H - 50.0;

/// Households uncovered per hexagon → colour, as the web map's heatmap.
pub const HEAT_STEPS: &[(f64, &str)] = &[
    (1.0, "#fee8c8"),
    (10.0, "#fdbb84"),
    (30.0, "#fc8d59"),
    (60.0, "#e34a33"),
    (120.0, "#b30000"),
];

/// How a report is printed.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// The date printed on every page.
    pub date: NaiveDate,
}

/// Pages being filled top to bottom, each with the report's running head and page footer.
struct Pages<'f> {
    done: Vec<Page<'f>>,
    page: Page<'f>,
    y: f32,
    head: String,
}

impl<'f> Pages<'f> {
    fn new(printer: &'f Printer, head: String) -> Self {
        let mut page = Page::new(W, H, printer.fonts());
        running_head(&mut page, &head);
        Pages {
            done: Vec::new(),
            page,
            y: TOP,
            head,
        }
    }

    fn new_page(&mut self) {
        let mut next = Page::new(W, H, self.page.fonts());
        running_head(&mut next, &self.head);
        self.done.push(std::mem::replace(&mut self.page, next));
        self.y = TOP;
    }

    /// Starts a new page unless `height` points fit on this one.
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.new_page();
        }
    }

    fn heading(&mut self, title: &str) {
        self.ensure(60.0);
        self.page.rect(MARGIN, self.y, 4.0, 15.0, BLUE, None);
        self.page
            .text(MARGIN + 10.0, self.y + 12.5, title, Style::new(13.0).bold());
        self.y += 24.0;
    }

    fn paragraph(&mut self, text: &str, style: Style) {
        let lines = self.page.wrap(text, W - 2.0 * MARGIN, style, 12);
        for line in lines {
            self.ensure(style.size * 1.5);
            self.page.text(MARGIN, self.y + style.size, &line, style);
            self.y += style.size * 1.5;
        }
    }

    /// A table over as many pages as it needs, its header repeated.
    fn table(&mut self, columns: &[Column], rows: &[Vec<String>]) {
        let mut rest = rows;
        loop {
            let fit = table::rows_fitting(self.y, BOTTOM);
            if fit == 0 || (fit < 3 && rest.len() > fit) {
                self.new_page();
                continue;
            }
            let (now, later) = rest.split_at(fit.min(rest.len()));
            self.y = table::draw(&mut self.page, MARGIN, self.y, columns, now) + 10.0;
            rest = later;
            if rest.is_empty() {
                break;
            }
            self.new_page();
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.done.push(self.page);
        let total = self.done.len();
        self.done
            .into_iter()
            .enumerate()
            .map(|(i, mut p)| {
                p.text(
                    W - MARGIN,
                    H - 24.0,
                    &format!("第 {} 页，共 {total} 页", i + 1),
                    Style::new(8.0).fill("#52606d").anchor(Anchor::End),
                );
                p.finish()
            })
            .collect()
    }
}

fn running_head(page: &mut Page, head: &str) {
    page.text(MARGIN, 34.0, head, Style::new(8.5).fill("#52606d"));
    page.line(MARGIN, 42.0, W - MARGIN, 42.0, "#d9e2ec", 0.8);
    page.text(
        MARGIN,
        H - 24.0,
        "Grid Atlas 社区网格与服务设施一张图",
        Style::new(8.0).fill("#7b8794"),
    );
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |p| format!("{p:.1}%"))
}

fn metres(v: Option<f64>) -> String {
    v.map_or("—".into(), |m| format!("{m:.0} m"))
}

fn metric_label(m: DistanceMetric) -> &'static str {
    match m {
        DistanceMetric::Walk => "步行距离",
        DistanceMetric::Straight => "直线距离",
    }
}

fn part_label(level: AreaLevel) -> &'static str {
    match level {
        AreaLevel::Street => "社区",
        _ => "网格",
    }
}

impl Printer {
    /// The report's pages (A4).
    pub fn coverage_report(
        &self,
        facts: &ReportFacts,
        options: &ReportOptions,
    ) -> Result<Printed, PrintError> {
        let service = facts.service.label_zh();
        let title = format!("{}嵌入式服务覆盖报告", facts.area.name);
        let head = format!(
            "{title} · {service} · {} · 数据版本 v{} · {}",
            metric_label(facts.metric),
            facts.data_version,
            options.date.format("%Y-%m-%d")
        );
        let mut pages = Pages::new(self, head);
        first_page(&mut pages, facts, &title, options);
        parts_pages(&mut pages, facts);
        underserved_pages(&mut pages, facts);
        standards_pages(&mut pages, facts);
        self.document(pages.finish(), Paper::A4, &title)
    }
}

fn first_page(pages: &mut Pages, facts: &ReportFacts, title: &str, options: &ReportOptions) {
    let p = &mut pages.page;
    p.rect(0.0, 0.0, W, 92.0, BLUE, None);
    let white = "#ffffff";
    p.text(
        MARGIN,
        30.0,
        "社区嵌入式服务设施覆盖报告",
        Style::new(11.0).fill(white),
    );
    let style = Style::new(22.0).bold().fill(white);
    let fitted = p.fit(title, W - 2.0 * MARGIN, style);
    p.text(MARGIN, 62.0, &fitted, style);
    let sub = format!(
        "{} · {} {} m（{}）· 制表日期 {} · 数据版本 v{}",
        facts.service.label_zh(),
        metric_label(facts.metric),
        facts.threshold_m,
        life_circle(facts),
        options.date.format("%Y-%m-%d"),
        facts.data_version
    );
    p.text(MARGIN, 82.0, &sub, Style::new(9.0).fill(white));
    let s = facts.area.service(facts.service);
    let g = &facts.area.governance;
    let uncovered = s.map(|s| s.households - s.households_covered);
    let figures = [
        ("住户", format!("{} 户", g.households)),
        ("覆盖率", pct(s.and_then(|s| s.households_pct))),
        (
            "未覆盖住户",
            uncovered.map_or("—".into(), |u| format!("{u} 户")),
        ),
        ("平均距离", metres(s.and_then(|s| s.mean_distance_m))),
        ("三无小区", format!("{} 个", g.three_no_compounds)),
    ];
    let y = 104.0;
    let cw = (W - 2.0 * MARGIN) / figures.len() as f32;
    for (i, (label, value)) in figures.iter().enumerate() {
        let cx = MARGIN + cw * i as f32;
        p.rect(cx + 2.0, y, cw - 4.0, 42.0, "#eef2f6", None);
        p.text(
            cx + cw / 2.0,
            y + 14.0,
            label,
            Style::new(8.0).fill("#52606d").anchor(Anchor::Middle),
        );
        p.text(
            cx + cw / 2.0,
            y + 34.0,
            value,
            Style::new(14.0).bold().anchor(Anchor::Middle),
        );
    }
    let since = change_line(facts);
    p.text(MARGIN, y + 58.0, &since, Style::new(8.5).fill("#3e4c59"));
    heat_map(p, facts, y + 68.0, 456.0);
    pages.y = y + 68.0 + 456.0 + 8.0;
    legend(pages, facts);
}

/// What changed since the end of the previous month, in words.
fn change_line(facts: &ReportFacts) -> String {
    let Some((month, previous)) = &facts.previous else {
        return "与上月比较：未提供上月数据。".into();
    };
    let before = match previous {
        Ok(a) => a,
        Err(reason) => return format!("与 {month} 月末比较：上月末数据无法重建（{reason}）。"),
    };
    let signed = |v: f64, unit: &str| {
        if v.abs() < 0.05 {
            "持平".to_owned()
        } else {
            format!("{v:+.1}{unit}")
        }
    };
    let pct =
        |a: &engine::analysis::AreaSummary| a.service(facts.service).and_then(|s| s.households_pct);
    let coverage = match (pct(before), pct(&facts.area)) {
        (Some(b), Some(a)) => signed(a - b, " 个百分点"),
        _ => "—".into(),
    };
    let three_no = facts.area.governance.three_no_compounds as i64
        - before.governance.three_no_compounds as i64;
    let households = facts.area.governance.households - before.governance.households;
    format!(
        "与 {month} 月末比较：{}覆盖率 {coverage}；三无小区 {three_no:+} 个；住户 {households:+} 户。",
        facts.service.label_zh()
    )
}

fn life_circle(facts: &ReportFacts) -> String {
    facts
        .standards
        .service(facts.service)
        .map_or(String::new(), |s| s.life_circle.label_zh().to_owned())
}

fn heat_colour(c: &HeatCell) -> &'static str {
    HEAT_STEPS
        .iter()
        .rev()
        .find(|(at, _)| c.households_uncovered >= *at)
        .map_or("#e3f1e6", |(_, colour)| colour)
}

fn heat_map(p: &mut Page, facts: &ReportFacts, y: f32, h: f32) {
    let (x, w) = (MARGIN, W - 2.0 * MARGIN);
    let outlines: Vec<Geometry> = std::iter::once(&facts.boundary)
        .chain(facts.parts.iter().map(|(_, g)| g))
        .map(|g| Geometry::MultiPolygon(g.clone()))
        .collect();
    let extent = crate::map::bounds(&outlines);
    let Some(extent) = extent else {
        p.rect(x, y, w, h, "#f4f1ea", Some(("#52606d", 0.8)));
        p.text(
            x + w / 2.0,
            y + h / 2.0,
            "本区域没有边界，无法绘制地图",
            Style::new(11.0).anchor(Anchor::Middle),
        );
        return;
    };
    let frame = MapFrame::fit(x, y, w, h, extent, 0.04, "heat-map");
    frame.begin(p);
    p.path(
        &frame.multipolygon_path(&facts.boundary),
        "#ffffff",
        None,
        "",
    );
    for c in &facts.cells {
        p.path(
            &frame.polygon_path(&c.polygon),
            heat_colour(c),
            Some(("#ffffff", 0.3)),
            r#"fill-opacity="0.9""#,
        );
    }
    for (_, g) in &facts.parts {
        p.path(
            &frame.multipolygon_path(g),
            "none",
            Some(("#52606d", 0.7)),
            r#"stroke-dasharray="3 2""#,
        );
    }
    p.path(
        &frame.multipolygon_path(&facts.boundary),
        "none",
        Some((BLUE, 1.8)),
        "",
    );
    let mut labels = Labels::default();
    for (a, g) in &facts.parts {
        if let Some(pt) = g.interior_point() {
            let (px, py) = frame.point(pt.0);
            labels.place(
                p,
                &frame,
                px,
                py,
                &a.name,
                Style::new(8.0).bold().fill("#102a43"),
            );
        }
    }
    frame.end(p);
}

fn legend(pages: &mut Pages, facts: &ReportFacts) {
    let resolution = facts.cells.first().map_or(9, |c| c.resolution);
    let p = &mut pages.page;
    let y = pages.y;
    p.text(
        MARGIN,
        y + 10.0,
        &format!(
            "图例：每个六边形内{}超过 {} m（{}）的住户数（户）",
            facts.service.label_zh(),
            facts.threshold_m,
            metric_label(facts.metric)
        ),
        Style::new(8.5).bold(),
    );
    let mut x = MARGIN;
    let mut items: Vec<(String, &str)> = vec![("0（全部覆盖）".into(), "#e3f1e6")];
    for (i, (at, colour)) in HEAT_STEPS.iter().enumerate() {
        let label = match HEAT_STEPS.get(i + 1) {
            Some((next, _)) => format!("{at:.0}–{:.0}", next - 1.0),
            None => format!("≥ {at:.0}"),
        };
        items.push((label, colour));
    }
    for (label, colour) in &items {
        p.rect(x, y + 16.0, 14.0, 10.0, colour, Some(("#9aa5b1", 0.4)));
        p.text(x + 18.0, y + 24.5, label, Style::new(8.0));
        x += 22.0 + p.measure(label, Style::new(8.0)) + 10.0;
    }
    p.text(
        MARGIN,
        y + 40.0,
        &format!(
            "六边形为 H3 第 {} 级网格（约 {} km²）；灰色虚线为各组成区域边界，蓝色粗线为本区域边界。",
            resolution,
            if resolution >= 10 { "0.015" } else { "0.1" }
        ),
        Style::new(7.5).fill("#52606d"),
    );
    pages.y = y + 46.0;
}

fn parts_pages(pages: &mut Pages, facts: &ReportFacts) {
    pages.new_page();
    let what = part_label(facts.area.level);
    pages.heading(&format!(
        "各{what}{}覆盖情况（覆盖率由低到高）",
        facts.service.label_zh()
    ));
    if facts.parts.is_empty() {
        pages.paragraph(&format!("本区域没有{what}。"), Style::new(9.0));
        return;
    }
    let columns = [
        Column {
            title: "排名",
            width: 30.0,
            numeric: true,
        },
        Column {
            title: what,
            width: 130.0,
            numeric: false,
        },
        Column {
            title: "住户",
            width: 55.0,
            numeric: true,
        },
        Column {
            title: "已覆盖",
            width: 55.0,
            numeric: true,
        },
        Column {
            title: "覆盖率",
            width: 60.0,
            numeric: true,
        },
        Column {
            title: "平均距离",
            width: 70.0,
            numeric: true,
        },
        Column {
            title: "无设施住户",
            width: 70.0,
            numeric: true,
        },
        Column {
            title: "三无小区",
            width: 53.0,
            numeric: true,
        },
    ];
    let rows: Vec<Vec<String>> = facts
        .parts
        .iter()
        .enumerate()
        .map(|(i, (a, _))| {
            let s = a.service(facts.service);
            let p = s.and_then(|s| s.households_pct);
            let colour = match p {
                Some(v) if v < 50.0 => "|#b30000",
                Some(v) if v < 80.0 => "|#c05621",
                _ => "",
            };
            vec![
                format!("{}", i + 1),
                a.name.clone(),
                format!("{}", a.governance.households),
                s.map_or("—".into(), |s| s.households_covered.to_string()),
                format!("{}{colour}", pct(p)),
                metres(s.and_then(|s| s.mean_distance_m)),
                s.map_or("—".into(), |s| s.households_without_facility.to_string()),
                a.governance.three_no_compounds.to_string(),
            ]
        })
        .collect();
    pages.table(&columns, &rows);
    all_services(pages, facts);
    governance(pages, facts);
}

/// Every service's coverage per part, in the standards' order.
fn all_services(pages: &mut Pages, facts: &ReportFacts) {
    let what = part_label(facts.area.level);
    pages.heading(&format!("各{what}各类服务覆盖率"));
    let services: Vec<_> = facts.standards.services.iter().map(|s| s.service).collect();
    let name_w = 110.0;
    let cw = (W - 2.0 * MARGIN - name_w) / services.len() as f32;
    let titles: Vec<String> = services
        .iter()
        .map(|s| s.label_zh().trim_end_matches("服务").to_owned())
        .collect();
    let mut columns = vec![Column {
        title: what,
        width: name_w,
        numeric: false,
    }];
    for t in &titles {
        columns.push(Column {
            title: t,
            width: cw,
            numeric: true,
        });
    }
    // The parts, then the area itself as the total.
    let all = facts
        .parts
        .iter()
        .map(|(a, _)| (a, false))
        .chain(std::iter::once((&facts.area, true)));
    let rows: Vec<Vec<String>> = all
        .map(|(a, total)| {
            let mut row = vec![if total {
                format!("{}（合计）", a.name)
            } else {
                a.name.clone()
            }];
            row.extend(services.iter().map(|s| {
                let p = a.service(*s).and_then(|c| c.households_pct);
                match p {
                    Some(v) if v < 50.0 => format!("{v:.0}%|#b30000"),
                    Some(v) => format!("{v:.0}%"),
                    None => "—".into(),
                }
            }));
            row
        })
        .collect();
    pages.table(&columns, &rows);
}

fn governance(pages: &mut Pages, facts: &ReportFacts) {
    let what = part_label(facts.area.level);
    pages.heading(&format!("治理指标（各{what}）"));
    let columns = [
        Column {
            title: what,
            width: 110.0,
            numeric: false,
        },
        Column {
            title: "住户",
            width: 50.0,
            numeric: true,
        },
        Column {
            title: "小区",
            width: 40.0,
            numeric: true,
        },
        Column {
            title: "三无小区",
            width: 50.0,
            numeric: true,
        },
        Column {
            title: "三无住户",
            width: 52.0,
            numeric: true,
        },
        Column {
            title: "物业覆盖率",
            width: 60.0,
            numeric: true,
        },
        Column {
            title: "业委会覆盖率",
            width: 66.0,
            numeric: true,
        },
        Column {
            title: "网格",
            width: 40.0,
            numeric: true,
        },
        Column {
            title: "网格员",
            width: 55.0,
            numeric: true,
        },
    ];
    let mut all: Vec<&AreaSummary> = facts.parts.iter().map(|(a, _)| a).collect();
    // Worst governed first: the most three-no households.
    all.sort_by(|a, b| {
        b.governance
            .three_no_households
            .cmp(&a.governance.three_no_households)
            .then_with(|| a.code.cmp(&b.code))
    });
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|a| (*a, false))
        .chain(std::iter::once((&facts.area, true)))
        .map(|(a, total)| {
            let g = &a.governance;
            vec![
                if total {
                    format!("{}（合计）", a.name)
                } else {
                    a.name.clone()
                },
                g.households.to_string(),
                g.compounds.to_string(),
                g.three_no_compounds.to_string(),
                g.three_no_households.to_string(),
                pct(g.property_management_pct),
                pct(g.owners_committee_pct),
                g.grids.to_string(),
                g.grid_workers.to_string(),
            ]
        })
        .collect();
    pages.table(&columns, &rows);
}

fn underserved_pages(pages: &mut Pages, facts: &ReportFacts) {
    pages.new_page();
    pages.heading("薄弱小区（一类在前，按未获服务人数排序）");
    let rules = &facts.standards.underserved;
    let names = |v: &[engine::ServiceType]| {
        v.iter()
            .map(|s| s.label_zh())
            .collect::<Vec<_>>()
            .join("、")
    };
    pages.paragraph(
        &format!(
            "一类：三无小区，60岁及以上老人不少于 {} 人，且{}均不在服务半径内。二类：缺少物业、业委会或主管单位之一，且{}中至少 {} 项不在服务半径内。",
            rules.min_elderly,
            names(&rules.tier1_services),
            names(&rules.priority_services),
            rules.tier2_min_gaps
        ),
        Style::new(8.5).fill("#3e4c59"),
    );
    pages.y += 6.0;
    if facts.underserved.is_empty() {
        pages.paragraph(
            &format!("{}没有符合条件的薄弱小区。", facts.area.name),
            Style::new(10.0).bold(),
        );
        return;
    }
    let community = |code: &str| {
        facts
            .parts
            .iter()
            .find(|(a, _)| a.code == code)
            .map_or_else(|| code.to_owned(), |(a, _)| a.name.clone())
    };
    let columns = [
        Column {
            title: "序",
            width: 24.0,
            numeric: true,
        },
        Column {
            title: "类",
            width: 22.0,
            numeric: false,
        },
        Column {
            title: "小区",
            width: 100.0,
            numeric: false,
        },
        Column {
            title: "社区 / 网格",
            width: 78.0,
            numeric: false,
        },
        Column {
            title: "住户",
            width: 38.0,
            numeric: true,
        },
        Column {
            title: "60+",
            width: 34.0,
            numeric: true,
        },
        Column {
            title: "缺口（最近设施距离 / 半径）",
            width: 227.0,
            numeric: false,
        },
    ];
    let rows: Vec<Vec<String>> = facts
        .underserved
        .iter()
        .map(|r| {
            let gaps = r
                .services
                .iter()
                .filter(|e| r.gaps.contains(&e.service))
                .map(|e| {
                    format!(
                        "{} {}/{:.0}",
                        e.service.label_zh().trim_end_matches("服务"),
                        e.distance_m.map_or("无".into(), |d| format!("{d:.0}")),
                        e.threshold_m
                    )
                })
                .collect::<Vec<_>>()
                .join("；");
            let area = match facts.area.level {
                AreaLevel::Street => community(&r.community_code),
                _ => r.grid_code.as_deref().map_or("—".into(), community),
            };
            vec![
                r.rank.to_string(),
                r.tier.map_or("—".into(), |t| format!("{}类", t.number())),
                r.name
                    .clone()
                    .unwrap_or_else(|| format!("小区#{}", r.compound_id)),
                area,
                r.households.to_string(),
                format!("{:.0}", r.elderly),
                gaps,
            ]
        })
        .collect();
    pages.table(&columns, &rows);
}

fn standards_pages(pages: &mut Pages, facts: &ReportFacts) {
    pages.ensure(200.0);
    pages.heading("标准依据");
    let small = Style::new(8.0).fill("#3e4c59");
    for s in &facts.standards.services {
        pages.paragraph(
            &format!(
                "{}：{}，{:.0} m，服务对象 {}。依据：{}",
                s.service.label_zh(),
                s.life_circle.label_zh(),
                s.threshold_m,
                s.target_group.label_zh(),
                s.source
            ),
            small,
        );
    }
    pages.paragraph(&format!("步行：{}", facts.standards.walking.source), small);
    pages.paragraph(
        &format!("社区服务设施面积：{}", facts.standards.floor_area.source),
        small,
    );
    pages.paragraph(
        "覆盖：住户到最近的计入设施的距离不超过服务半径即为覆盖；小区从其出入口量起。",
        small,
    );
}
