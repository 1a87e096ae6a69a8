//! Grid work on the map: the household units of a grid or community with the days since their
//! last visit (the visiting layer), and where a need lies (the open-needs layer).

use chrono::NaiveDate;
use geo::InteriorPoint;
use geo_types::{Geometry, Point};

use super::visits::last_visits;
use super::{Need, Visit};
use crate::Snapshot;

/// A compound or building with its last visit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitVisit {
    /// `compounds` or `buildings`.
    pub layer: &'static str,
    pub id: i64,
    pub name: String,
    pub compound_id: Option<i64>,
    pub households: i64,
    pub last_visit: Option<NaiveDate>,
    /// Days from the last visit to `today`; `None` if never visited.
    pub days_since: Option<i64>,
    pub geometry: Geometry,
}

/// The compounds and buildings of `community` (or only of its grid `grid`, a building in a
/// compound lying in the compound's grid), each with its last visit and the days since, on
/// `today`: never-visited units first, then the longest unvisited.
pub fn unit_visits(
    snapshot: &Snapshot,
    visits: &[Visit],
    community: &str,
    grid: Option<&str>,
    today: NaiveDate,
) -> Vec<UnitVisit> {
    let data = &snapshot.data;
    let last = last_visits(visits, snapshot);
    let in_grid =
        |g: Option<&crate::model::Code>| grid.is_none_or(|want| g.is_some_and(|g| g == want));
    let compounds: Vec<&crate::Compound> = data
        .compounds
        .iter()
        .filter(|c| c.community_code == community && in_grid(c.grid_code.as_ref()))
        .collect();
    let compound_grid = |id: Option<i64>| {
        id.and_then(|c| snapshot.compound(c))
            .and_then(|c| c.grid_code.as_ref())
    };
    let unit = |layer, id, name: &str, compound_id, households, geometry| {
        let last_visit = last.get(&(layer, id)).copied();
        UnitVisit {
            layer,
            id,
            name: name.to_owned(),
            compound_id,
            households,
            last_visit,
            days_since: last_visit.map(|d| (today - d).num_days()),
            geometry,
        }
    };
    let mut out: Vec<UnitVisit> = compounds
        .iter()
        .map(|c| {
            unit(
                "compounds",
                c.id,
                &c.name,
                None,
                c.households,
                Geometry::Polygon(c.geometry.clone()),
            )
        })
        .chain(
            data.buildings
                .iter()
                .filter(|b| {
                    b.community_code == community
                        && in_grid(
                            b.grid_code
                                .as_ref()
                                .or_else(|| compound_grid(b.compound_id)),
                        )
                })
                .map(|b| {
                    unit(
                        "buildings",
                        b.id,
                        b.name.as_deref().unwrap_or_default(),
                        b.compound_id,
                        b.households,
                        b.geometry.clone(),
                    )
                }),
        )
        .collect();
    out.sort_by_key(|u| {
        (
            u.days_since.is_some(),
            std::cmp::Reverse(u.days_since),
            u.id,
        )
    });
    out
}

/// Where a need is drawn: where it was raised, else its building or compound (a point inside
/// it), else a point inside its grid or community.
pub fn need_point(snapshot: &Snapshot, need: &Need) -> Option<Point> {
    if let Some([lon, lat]) = need.position {
        return Some(Point::new(lon, lat));
    }
    let unit = need.unit.as_ref();
    if let Some(id) = unit.and_then(|u| u.building_id) {
        if let Some(b) = snapshot.building(id) {
            return b.geometry.interior_point();
        }
    }
    if let Some(id) = unit.and_then(|u| u.compound_id) {
        if let Some(c) = snapshot.compound(id) {
            return c.geometry.interior_point();
        }
    }
    if let Some(g) = need.grid_code.as_deref() {
        if let Some(g) = snapshot.grid(g) {
            return g.geometry.interior_point();
        }
    }
    snapshot
        .community(&need.community_code)
        .and_then(|c| c.geometry.interior_point())
}
