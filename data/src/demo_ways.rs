//! The demo district's ways 道路/步行路径: roads along the boundaries of streets (主干路),
//! communities (次干路; 支路 in the towns) and 红星街道's grids (支路), a road through the middle
//! of every other community, lanes between 红星街道's compound slots, the riverside roads of the
//! 沱江 through 红星街道, bridges where roads cross a river, and each 红星街道 compound's internal
//! paths joined to its gates and from each gate to the nearest lane or road. A stretch of
//! motorway in the north carries no pedestrians.

use std::collections::{BTreeMap, HashMap, HashSet};

use engine::{Dataset, GateKind, Way, WayKind};
use geo_types::Coord;

use crate::contents::{CommunityPlan, Filled, PlacedCompound};
use crate::demo::{GatePlan, HONGXING_STREET};
use crate::divisions::Division;
use crate::layout::{Block, Plan};
use crate::net::{Attrs, Net, Streets};
use crate::paths::{compound_paths, grown, numeral, path_pad, Octagon};
use crate::rivers::{rivers, River, TUOJIANG_HALF_WIDTH};

/// Road names of 红星街道 and the lines through it: (horizontal, lattice line, from, to, name).
const NAMED_LINES: &[(bool, i32, i32, i32, &str)] = &[
    (true, -1500, -9000, 9000, "蜀泸大道"),
    (true, 1500, -2000, 2000, "龙马大道"),
    (false, -2000, -7000, 6000, "春雨路"),
    (false, 2000, -6000, 6000, "回龙湾大道"),
    (false, 650, -1500, 1500, "龙南路"),
    (false, -1200, -1500, 1500, "玉带路"),
    (true, -700, -1200, 0, "长桥路"),
    (true, 50, -1200, 0, "红星路"),
    (true, 800, -1200, 0, "春晖路"),
    (true, 0, -2000, -1200, "龙桥路"),
    (true, -250, 650, 2000, "奥体路"),
    (true, -300, 0, 650, "双桂路"),
    (true, 300, 0, 650, "天立路"),
];

/// Name stems of the other east–west and north–south roads, in order of their lines.
const EAST_WEST: &[&str] = &[
    "鱼塘", "高坝", "九狮", "凤凰", "佳乐", "迎晖", "玉龙", "南光", "学士", "龙涛", "杜家", "瓦窑",
    "沙湾", "忠山", "翠屏", "桂圆", "金桂", "长安", "兴隆", "福乐", "新民", "永丰", "石龙", "云峰",
];
const NORTH_SOUTH: &[&str] = &[
    "泰安", "鸿福", "皇华", "通滩", "况场", "弥陀", "兆雅", "丹林", "大渡", "云溪", "金山", "海潮",
    "护国", "天仙", "龙透", "方山", "清溪", "玉蟾", "白塔", "文昌", "东升", "西华", "临港", "宝丰",
];

/// Where the footbridge 长桥 crosses the 沱江 in 长桥社区 (plan y of a road ending at the river).
const FOOTBRIDGE_Y: f64 = -1150.0;
/// The motorway's plan y and its ends.
const MOTORWAY: (f64, f64, f64) = (12_480.0, -6000.0, 8000.0);

/// What the demo's ways are drawn from.
pub(crate) struct DemoLayout<'a> {
    pub plan: &'a Plan,
    pub streets: &'a [(Division, Block)],
    pub communities: &'a [CommunityPlan],
    pub filled: &'a [Filled],
    pub gates: &'a [GatePlan],
}

/// An elementary piece of a lattice line between two neighbouring nodes, with the highest
/// level of boundary it is (3 street, 2 community, 1 grid) and how many street blocks have it.
#[derive(Debug, Clone, Copy, Default)]
struct Piece {
    rank: u8,
    street_sides: u8,
}

type LineKey = (bool, i32);

/// The demo district's ways, numbered from 1.
pub(crate) fn demo_ways(layout: &DemoLayout, data: &Dataset) -> Vec<Way> {
    let rivers = rivers();
    let mut net = Net::default();
    boundary_roads(layout, &mut net);
    riverside_roads(&mut net);
    community_roads(layout, &mut net);
    let bridges = net.clip(&rivers);
    name_bridges(&mut net, &bridges, &rivers);
    footbridge(&mut net);
    lanes(layout, &mut net);
    compounds(layout, &mut net);
    net.node();
    net.trim();
    net.keep_connected();
    motorway(&mut net);
    net.ways(layout.plan, &Streets::new(&data.streets.to_vec()), 1)
}

fn is_hongxing(code: &str) -> bool {
    code.starts_with(HONGXING_STREET)
}

/// The sides of a block: (horizontal, line, from, to).
fn sides(b: Block) -> [(bool, i32, i32, i32); 4] {
    [
        (true, b.y0, b.x0, b.x1),
        (true, b.y1, b.x0, b.x1),
        (false, b.x0, b.y0, b.y1),
        (false, b.x1, b.y0, b.y1),
    ]
}

/// Roads along every boundary between streets, communities and 红星街道's grids (not along the
/// district's outline), one way per stretch of one kind within one street.
fn boundary_roads(layout: &DemoLayout, net: &mut Net) {
    let plan = layout.plan;
    let mut pieces: BTreeMap<(LineKey, i32, i32), Piece> = BTreeMap::new();
    let mut add = |b: Block, rank: u8| {
        for (h, at, from, to) in sides(b) {
            let nodes = plan.line_nodes(h, at, from, to);
            for w in nodes.windows(2) {
                let piece = pieces
                    .entry(((h, at), w[0].0 as i32, w[1].0 as i32))
                    .or_default();
                piece.rank = piece.rank.max(rank);
                piece.street_sides += u8::from(rank == 3);
            }
        }
    };
    for (_, b) in layout.streets {
        add(*b, 3);
    }
    for c in layout.communities {
        add(c.block, 2);
        for g in &c.grid_blocks {
            add(*g, 1);
        }
    }
    // Street corners split roads, so that each stretch lies in one street.
    let corners: HashSet<(LineKey, i32)> = layout
        .streets
        .iter()
        .flat_map(|(_, b)| {
            [
                ((true, b.y0), b.x0),
                ((true, b.y0), b.x1),
                ((true, b.y1), b.x0),
                ((true, b.y1), b.x1),
                ((false, b.x0), b.y0),
                ((false, b.x0), b.y1),
                ((false, b.x1), b.y0),
                ((false, b.x1), b.y1),
            ]
        })
        .collect();
    let mut runs: Vec<(LineKey, Vec<i32>, u8)> = Vec::new();
    for (&(line, a, b), piece) in &pieces {
        if piece.rank == 3 && piece.street_sides < 2 {
            continue; // the district's outline
        }
        match runs.last_mut() {
            Some((l, positions, rank))
                if *l == line
                    && *rank == piece.rank
                    && positions.last() == Some(&a)
                    && !corners.contains(&(line, a)) =>
            {
                positions.push(b);
            }
            _ => runs.push((line, vec![a, b], piece.rank)),
        }
    }
    let stems = line_stems(runs.iter().map(|r| r.0));
    for (line, positions, rank) in runs {
        let (h, at) = line;
        let points: Vec<Coord> = positions
            .iter()
            .map(|&p| plan.on_line(h, at, f64::from(p)))
            .collect();
        let mid = f64::from(positions[0] + positions[positions.len() - 1]) / 2.0;
        let centre = if h {
            Coord {
                x: mid,
                y: f64::from(at),
            }
        } else {
            Coord {
                x: f64::from(at),
                y: mid,
            }
        };
        let kind = match rank {
            3 => WayKind::Primary,
            2 if in_town(layout, centre) => WayKind::Tertiary,
            2 => WayKind::Secondary,
            _ => WayKind::Tertiary,
        };
        let name = NAMED_LINES
            .iter()
            .find(|&&(nh, nat, from, to, _)| {
                nh == h && nat == at && (f64::from(from)..=f64::from(to)).contains(&mid)
            })
            .map_or_else(
                || format!("{}{}", stems[&line], suffix(kind)),
                |n| n.4.to_owned(),
            );
        net.add_exact(&points, Attrs::new(kind).named(name).bridged().target());
    }
}

/// Whether a plan point lies in a town 镇 (codes 1xx) rather than an urban street 街道.
fn in_town(layout: &DemoLayout, p: Coord) -> bool {
    layout.streets.iter().any(|(d, b)| {
        d.code.as_bytes().get(6) == Some(&b'1')
            && (f64::from(b.x0)..=f64::from(b.x1)).contains(&p.x)
            && (f64::from(b.y0)..=f64::from(b.y1)).contains(&p.y)
    })
}

/// A name stem for every line, east–west and north–south lines each in order.
fn line_stems(lines: impl Iterator<Item = LineKey>) -> HashMap<LineKey, String> {
    let mut lines: Vec<LineKey> = lines.collect();
    lines.sort_unstable();
    lines.dedup();
    let (mut ew, mut ns) = (0, 0);
    lines
        .into_iter()
        .map(|line| {
            let (list, i) = if line.0 {
                ew += 1;
                (EAST_WEST, ew - 1)
            } else {
                ns += 1;
                (NORTH_SOUTH, ns - 1)
            };
            let stem = list[i % list.len()];
            let stem = if i < list.len() {
                stem.to_owned()
            } else {
                format!("{stem}{}", numeral(i / list.len() + 1))
            };
            (line, stem)
        })
        .collect()
}

fn suffix(kind: WayKind) -> &'static str {
    match kind {
        WayKind::Primary => "大道",
        WayKind::Secondary => "路",
        _ => "街",
    }
}

/// The riverside roads 滨江路 along both banks of the 沱江 through 红星街道 (their ends beyond
/// the bridges at the street's edges are trimmed).
fn riverside_roads(net: &mut Net) {
    for (x, name) in [
        (-TUOJIANG_HALF_WIDTH, "滨江西路"),
        (TUOJIANG_HALF_WIDTH, "滨江东路"),
    ] {
        let (south, north) = (-1500.0 - 60.0, 1500.0 + 60.0);
        net.add(
            &[Coord { x, y: south }, Coord { x, y: north }],
            Attrs::new(WayKind::Secondary)
                .named(name)
                .trimmed()
                .target(),
        );
    }
}

/// A road through the middle of every community outside 红星街道, east–west and north–south,
/// from boundary road to boundary road (its centre holds the street's stations).
fn community_roads(layout: &DemoLayout, net: &mut Net) {
    let caster = net.caster();
    let mut lines = Vec::new();
    for c in layout.communities.iter().filter(|c| !is_hongxing(&c.code)) {
        let b = c.block;
        let centre = b.centre();
        let village = c.name.ends_with('村');
        let stem = c
            .name
            .trim_end_matches("社区")
            .trim_end_matches('村')
            .to_owned();
        let (kind, names) = if village {
            (
                WayKind::Unclassified,
                [format!("{stem}村道"), format!("{stem}村道")],
            )
        } else {
            (
                WayKind::Tertiary,
                [format!("{stem}路"), format!("{stem}街")],
            )
        };
        let reach = |dir: Coord, half: f64| {
            caster.cast(centre, dir, half + 30.0).unwrap_or(Coord {
                x: centre.x + dir.x * (half - 1.0),
                y: centre.y + dir.y * (half - 1.0),
            })
        };
        let (hw, hh) = (f64::from(b.width()) / 2.0, f64::from(b.height()) / 2.0);
        let west = reach(Coord { x: -1.0, y: 0.0 }, hw);
        let east = reach(Coord { x: 1.0, y: 0.0 }, hw);
        let south = reach(Coord { x: 0.0, y: -1.0 }, hh);
        let north = reach(Coord { x: 0.0, y: 1.0 }, hh);
        let [ew, ns] = names;
        lines.push((vec![west, centre, east], Attrs::new(kind).named(ew)));
        lines.push((vec![south, centre, north], Attrs::new(kind).named(ns)));
    }
    drop(caster);
    for (points, attrs) in lines {
        net.add(&points, attrs);
    }
}

/// Names the bridges of each river from its mouth upstream: 沱江一桥, 沱江二桥, ….
fn name_bridges(net: &mut Net, bridges: &[(usize, usize)], rivers: &[River]) {
    for (r, river) in rivers.iter().enumerate() {
        let mut on: Vec<(f64, usize)> = bridges
            .iter()
            .filter(|b| b.1 == r)
            .map(|&(l, _)| {
                let verts = &net.lines[l].verts;
                (river.along(net.point(verts[verts.len() / 2])), l)
            })
            .collect();
        on.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (k, (_, l)) in on.into_iter().enumerate() {
            net.lines[l].attrs.name = Some(format!("{}{}桥", river.name, numeral(k + 1)));
        }
    }
}

/// The footbridge 长桥 over the 沱江 from the end of a road of 长桥社区 to the east bank.
fn footbridge(net: &mut Net) {
    let target = Coord {
        x: -TUOJIANG_HALF_WIDTH,
        y: FOOTBRIDGE_Y,
    };
    let Some(start) = net
        .lines
        .iter()
        .filter(|l| !l.attrs.bridge)
        .flat_map(|l| [l.verts[0], l.verts[l.verts.len() - 1]])
        .map(|v| net.point(v))
        .filter(|p| (p.x - target.x).hypot(p.y - target.y) < 20.0)
        .min_by(|a, b| {
            let d = |p: &Coord| (p.x - target.x).hypot(p.y - target.y);
            d(a).total_cmp(&d(b))
        })
    else {
        return;
    };
    let hit = net.caster().cast(start, Coord { x: 1.0, y: 0.0 }, 200.0);
    if let Some(end) = hit {
        net.add(
            &[start, end],
            Attrs::new(WayKind::Footway).named("长桥").bridge(),
        );
    }
}

/// Lanes 巷 along the gaps between the slots of 红星街道's grids, from boundary road to
/// boundary road.
fn lanes(layout: &DemoLayout, net: &mut Net) {
    let caster = net.caster();
    let mut lines = Vec::new();
    for f in layout.filled.iter().filter(|f| is_hongxing(&f.code)) {
        let stem = f.name.trim_end_matches("社区").to_owned();
        let mut n = 0;
        for g in &f.grids {
            let s = g.slots;
            let centre = s.area.centre();
            let reach = f64::from(g.block.width().max(g.block.height())) + 50.0;
            let mut lane = |from: Coord, dir: Coord| {
                let back = Coord {
                    x: -dir.x,
                    y: -dir.y,
                };
                if let (Some(a), Some(b)) = (
                    caster.cast(from, back, reach),
                    caster.cast(from, dir, reach),
                ) {
                    n += 1;
                    lines.push((
                        vec![a, b],
                        Attrs::new(WayKind::Residential)
                            .named(format!("{stem}{}巷", numeral(n)))
                            .target(),
                    ));
                }
            };
            for c in 1..s.cols {
                lane(
                    Coord {
                        x: s.gap_x_at(c),
                        y: centre.y,
                    },
                    Coord { x: 0.0, y: 1.0 },
                );
            }
            for r in 1..s.rows {
                lane(
                    Coord {
                        x: centre.x,
                        y: s.gap_y_at(r),
                    },
                    Coord { x: 1.0, y: 0.0 },
                );
            }
        }
    }
    drop(caster);
    for (points, attrs) in lines {
        net.add(&points, attrs);
    }
}

/// Each 红星街道 compound's loop, main and row paths, a path from each gate in to the loop and
/// out to the nearest lane or road, and for a compound without gates one path out from its loop.
fn compounds(layout: &DemoLayout, net: &mut Net) {
    let mut gates: HashMap<i64, Vec<&GatePlan>> = HashMap::new();
    for g in layout.gates {
        gates.entry(g.compound_id).or_default().push(g);
    }
    let mut outs: Vec<(i64, Vec<Coord>, Option<&GatePlan>)> = Vec::new();
    let caster = net.caster();
    for f in layout.filled.iter().filter(|f| is_hongxing(&f.code)) {
        for pc in &f.compounds {
            if let Some(list) = gates.get(&pc.id) {
                for g in list {
                    if let Some(out) = caster.cast(g.at_plan, g.outward, 150.0) {
                        outs.push((pc.id, vec![g.at_plan, out], Some(*g)));
                    }
                }
                continue;
            }
            let r = loop_of(pc).rect;
            let c = r.centre();
            let best = [
                (Coord { x: r.x1, y: c.y }, Coord { x: 1.0, y: 0.0 }),
                (Coord { x: r.x0, y: c.y }, Coord { x: -1.0, y: 0.0 }),
                (Coord { x: c.x, y: r.y1 }, Coord { x: 0.0, y: 1.0 }),
                (Coord { x: c.x, y: r.y0 }, Coord { x: 0.0, y: -1.0 }),
            ]
            .into_iter()
            .filter_map(|(from, dir)| caster.cast(from, dir, 150.0).map(|hit| (from, hit)))
            .min_by(|a, b| {
                let d = |(p, q): &(Coord, Coord)| (p.x - q.x).hypot(p.y - q.y);
                d(a).total_cmp(&d(b))
            });
            if let Some((from, hit)) = best {
                outs.push((pc.id, vec![from, hit], None));
            }
        }
    }
    drop(caster);
    for f in layout.filled.iter().filter(|f| is_hongxing(&f.code)) {
        for pc in &f.compounds {
            internal_paths(net, pc);
        }
    }
    let rings: HashMap<i64, usize> = net
        .lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.attrs.kind == WayKind::Service && l.verts.first() == l.verts.last())
        .filter_map(|(i, l)| l.attrs.compound_id.map(|c| (c, i)))
        .collect();
    for (id, points, gate) in outs {
        let attrs = |kind| Attrs::new(kind).of_compound(id);
        match gate {
            Some(g) => {
                let inner = rings.get(&id).map(|&ring| net.nearest_on(ring, g.at_plan));
                let kind = if g.kind == GateKind::Pedestrian {
                    WayKind::Footway
                } else {
                    WayKind::Service
                };
                let outward = crate::net::densify(&points, crate::net::DENSIFY_M);
                let mut verts: Vec<u32> = inner.into_iter().map(|p| net.vertex(p)).collect();
                verts.push(net.exact_vertex(g.at_plan, g.at));
                verts.extend(outward[1..].iter().map(|&p| net.vertex(p)));
                net.add_ids(verts, attrs(kind));
            }
            None => {
                net.add(&points, attrs(WayKind::Service));
            }
        }
    }
}

/// A compound's loop path: around its buildings, inside its outline, corners cut.
fn loop_of(pc: &PlacedCompound) -> Octagon {
    let pad = path_pad(pc.slot, pc.site.area);
    Octagon::new(grown(pc.site.area, pad), 8.0)
}

/// A compound's loop, main path and row paths.
fn internal_paths(net: &mut Net, pc: &PlacedCompound) {
    let ring = loop_of(pc);
    let pad = path_pad(pc.slot, pc.site.area);
    net.add(
        &ring.ring(),
        Attrs::new(WayKind::Service).of_compound(pc.id),
    );
    let paths = compound_paths(&pc.site, pad, |y| ring.span_x(y), |x| ring.span_y(x));
    if pc.site.cols >= 2 {
        net.add(
            &paths.spine,
            Attrs::new(WayKind::Service).of_compound(pc.id),
        );
    }
    for row in paths.rows {
        net.add(&row, Attrs::new(WayKind::Footway).of_compound(pc.id));
    }
}

/// The 成渝环线高速 across the north of the district: closed to pedestrians, and meeting the
/// roads it passes over nowhere (it is added after the network is noded).
fn motorway(net: &mut Net) {
    let (y, west, east) = MOTORWAY;
    for (a, b) in [(west, 0.0), (0.0, east)] {
        net.add(
            &[Coord { x: a, y }, Coord { x: b, y }],
            Attrs::new(WayKind::Motorway).named("成渝环线高速"),
        );
    }
}
