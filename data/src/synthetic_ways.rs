//! The synthetic city's ways, built directly with their junctions (no noding, so a city of a
//! million buildings gets its network in well under a second): roads along every grid's
//! boundary (主干路 on street boundaries, 次干路 on community boundaries, 支路 between grids),
//! lanes along the gaps between each grid's slots, and per compound its internal paths (main
//! path, paths between building rows) with a path out through its edge to the nearest lane or
//! road. About one edge per building.

use std::collections::HashMap;

use engine::{Way, WayKind};
use geo_types::{Coord, LineString, MultiLineString};

use crate::contents::{CommunityPlan, Filled, GridLayout, PlacedCompound};
use crate::layout::{Block, Plan};
use crate::paths::{compound_paths, path_pad};

/// A grid's block with those of its community and street (to tell which boundaries its sides
/// are), and the street's code.
struct GridSides {
    block: Block,
    community: Block,
    street: Block,
    street_index: u32,
}

/// Builds the city's ways community by community; the boundary roads last, once every lane
/// and path ending on them is known.
pub(crate) struct CityWays<'a> {
    plan: &'a Plan,
    city: Block,
    /// Where lanes and paths end on each lattice line (horizontal?, line) → positions.
    stops: HashMap<(bool, i32), Vec<f64>>,
    grids: Vec<GridSides>,
    street_codes: Vec<String>,
    ways: Vec<Way>,
}

impl<'a> CityWays<'a> {
    pub fn new(plan: &'a Plan, city: Block) -> Self {
        CityWays {
            plan,
            city,
            stops: HashMap::new(),
            grids: Vec::new(),
            street_codes: Vec::new(),
            ways: Vec::new(),
        }
    }

    /// Starts a street: the communities added next lie in it.
    pub fn street(&mut self, code: &str) {
        self.street_codes.push(code.to_owned());
    }

    fn way(
        &mut self,
        kind: WayKind,
        compound_id: Option<i64>,
        street: usize,
        parts: Vec<Vec<Coord>>,
    ) {
        let street_code = self.street_codes.get(street).cloned();
        let parts = parts
            .into_iter()
            .map(|p| LineString(p.into_iter().map(|c| self.plan.lonlat(c)).collect()))
            .collect();
        self.ways.push(Way {
            id: self.ways.len() as i64 + 1,
            version: 1,
            compound_id,
            street_code,
            ..Way::new(kind, MultiLineString(parts))
        });
    }

    fn stop(&mut self, horizontal: bool, line: i32, pos: f64) {
        self.stops.entry((horizontal, line)).or_default().push(pos);
    }

    /// A community's lanes and compound paths; its grids' sides are kept for [`Self::finish`].
    pub fn community(&mut self, cp: &CommunityPlan, street: Block, f: &Filled) {
        let street_index = self.street_codes.len().saturating_sub(1) as u32;
        for (gi, g) in f.grids.iter().enumerate() {
            self.grids.push(GridSides {
                block: g.block,
                community: cp.block,
                street,
                street_index,
            });
            let compounds: Vec<&PlacedCompound> =
                f.compounds.iter().filter(|c| c.grid == gi).collect();
            self.grid(g, &compounds, street_index as usize);
        }
    }

    /// A grid's lanes and its compounds' paths.
    fn grid(&mut self, g: &GridLayout, compounds: &[&PlacedCompound], street: usize) {
        let s = g.slots;
        let b = g.block;
        let xs: Vec<f64> = (1..s.cols).map(|c| s.gap_x_at(c)).collect();
        let ys: Vec<f64> = (1..s.rows).map(|r| s.gap_y_at(r)).collect();
        // Where compound paths meet each east–west lane.
        let mut taps: Vec<Vec<f64>> = vec![Vec::new(); ys.len()];
        for pc in compounds {
            let (_, row) = s.position(pc.slot);
            let site = pc.site.area;
            let pad = path_pad(pc.slot, site);
            let (west, east) = (site.x0 - pad, site.x1 + pad);
            let (south, north) = (site.y0 - pad, site.y1 + pad);
            let paths = compound_paths(&pc.site, pad, |_| (west, east), |_| (south, north));
            let x = paths.spine[0].x;
            // Out to the lane south of its row, else the lane north of it, else the road south.
            let out = if row > 0 {
                taps[row - 1].push(x);
                vec![Coord { x, y: south }, Coord { x, y: ys[row - 1] }]
            } else if let Some(&y) = ys.first() {
                taps[0].push(x);
                vec![Coord { x, y: north }, Coord { x, y }]
            } else {
                self.stop(true, b.y0, x);
                vec![Coord { x, y: south }, self.plan.on_line(true, b.y0, x)]
            };
            let mut parts = Vec::with_capacity(paths.rows.len() + 2);
            parts.push(paths.spine);
            parts.extend(paths.rows);
            parts.push(out);
            self.way(WayKind::Service, Some(pc.id), street, parts);
        }
        for &x in &xs {
            self.stop(true, b.y0, x);
            self.stop(true, b.y1, x);
            let mut line = vec![self.plan.on_line(true, b.y0, x)];
            line.extend(ys.iter().map(|&y| Coord { x, y }));
            line.push(self.plan.on_line(true, b.y1, x));
            self.way(WayKind::Residential, None, street, vec![line]);
        }
        for (&y, mut at) in ys.iter().zip(taps) {
            self.stop(false, b.x0, y);
            self.stop(false, b.x1, y);
            at.extend(&xs);
            at.sort_by(f64::total_cmp);
            at.dedup();
            let mut line = vec![self.plan.on_line(false, b.x0, y)];
            line.extend(at.into_iter().map(|x| Coord { x, y }));
            line.push(self.plan.on_line(false, b.x1, y));
            self.way(WayKind::Residential, None, street, vec![line]);
        }
    }

    /// The roads along every grid's boundary (each stretch once: a grid's south and west
    /// sides, and its north and east sides on the city's edge), with a vertex wherever a lane
    /// or path ends on them; returns every way.
    pub fn finish(mut self) -> Vec<Way> {
        for v in self.stops.values_mut() {
            v.sort_by(f64::total_cmp);
            v.dedup();
        }
        let grids = std::mem::take(&mut self.grids);
        for g in &grids {
            let b = g.block;
            let mut sides = vec![(true, b.y0, b.x0, b.x1), (false, b.x0, b.y0, b.y1)];
            if b.y1 == self.city.y1 {
                sides.push((true, b.y1, b.x0, b.x1));
            }
            if b.x1 == self.city.x1 {
                sides.push((false, b.x1, b.y0, b.y1));
            }
            for (h, at, from, to) in sides {
                let line = self.side(h, at, from, to);
                self.way(
                    side_kind(g, h, at),
                    None,
                    g.street_index as usize,
                    vec![line],
                );
            }
        }
        self.ways
    }

    /// The points of a lattice line between two positions: the tiles' nodes and the stops.
    fn side(&self, h: bool, at: i32, from: i32, to: i32) -> Vec<Coord> {
        let mut points = self.plan.line_nodes(h, at, from, to);
        if let Some(stops) = self.stops.get(&(h, at)) {
            let (lo, hi) = (f64::from(from), f64::from(to));
            let first = stops.partition_point(|&p| p <= lo);
            for &p in stops[first..].iter().take_while(|&&p| p < hi) {
                points.push((p, self.plan.on_line(h, at, p)));
            }
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            points.dedup_by(|a, b| (a.0 - b.0).abs() < 1e-9);
        }
        points.into_iter().map(|(_, c)| c).collect()
    }
}

/// A grid side's road: 主干路 on a street's boundary (and the city's edge), 次干路 on a
/// community's, 支路 between grids.
fn side_kind(g: &GridSides, h: bool, at: i32) -> WayKind {
    let on = |b: Block| {
        if h {
            b.y0 == at || b.y1 == at
        } else {
            b.x0 == at || b.x1 == at
        }
    };
    if on(g.street) {
        WayKind::Primary
    } else if on(g.community) {
        WayKind::Secondary
    } else {
        WayKind::Tertiary
    }
}
