//! What a grid's notice board 网格公示牌 shows: the grid and where it lies, its compounds and
//! scattered buildings with their households, its load against the caps, the grid workers who
//! serve it and the building heads of its units. Assembled from a snapshot and the grid-work
//! records the caller may read; laying it out on paper is the `print` crate's job.

use std::collections::BTreeSet;

use geo_types::{Geometry, Polygon};

use super::{BuildingHead, GridWorker};
use crate::planning::{Caps, Catalog, PlanningError, UnitKind};
use crate::Snapshot;

/// One unit drawn and listed on the board.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardUnit {
    pub name: String,
    pub kind: UnitKind,
    pub households: i64,
    pub three_no: bool,
    /// WGS84 lon/lat: the compound polygon, or the building's point or footprint.
    pub geometry: Geometry,
}

/// A grid worker as the board shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardWorker {
    pub name: String,
    /// As the caller may see it (masked for viewers).
    pub phone: String,
    /// The roles merged in the worker, in Chinese (综合网格员, …).
    pub duties: Vec<String>,
    pub start_date: String,
    /// A data URL (JPEG, PNG or WebP), when recorded.
    pub photo: Option<String>,
}

/// A building head 楼栋长 and the building or compound they look after.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardHead {
    pub name: String,
    pub phone: String,
    pub unit: String,
}

/// Everything a grid's notice board shows.
#[derive(Debug, Clone, PartialEq)]
pub struct GridBoard {
    pub grid_code: String,
    pub grid_name: String,
    pub community_code: String,
    pub community_name: String,
    pub street_code: String,
    pub street_name: String,
    /// WGS84 lon/lat.
    pub boundary: Polygon,
    /// Compounds (or, of a compound split along its buildings, its buildings here) first, then
    /// scattered buildings, each by name.
    pub units: Vec<BoardUnit>,
    /// The buildings inside the grid's compounds, drawn under the labels (WGS84 lon/lat).
    pub buildings: Vec<Geometry>,
    pub households: i64,
    /// Σ households / cap of their class (1: the grid is full).
    pub load: f64,
    pub caps: Caps,
    pub workers: Vec<BoardWorker>,
    pub heads: Vec<BoardHead>,
    /// The snapshot version the board was made from.
    pub data_version: i64,
}

/// Why boards cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoardError {
    #[error("no grid with code {0}")]
    UnknownGrid(String),
    #[error("no street with code {0}")]
    UnknownStreet(String),
    #[error("no community with code {0}")]
    UnknownCommunity(String),
    #[error(transparent)]
    Planning(#[from] PlanningError),
}

/// The grids a board request names: one grid, every grid of a community, or of a street.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardScope {
    Grid(String),
    Community(String),
    Street(String),
}

impl BoardScope {
    /// The grid codes of this scope in `snapshot`, by code.
    pub fn grids(&self, snapshot: &Snapshot) -> Result<Vec<String>, BoardError> {
        let d = &snapshot.data;
        let mut codes: Vec<String> = match self {
            BoardScope::Grid(code) => {
                snapshot
                    .grid(code)
                    .ok_or_else(|| BoardError::UnknownGrid(code.clone()))?;
                vec![code.clone()]
            }
            BoardScope::Community(code) => {
                snapshot
                    .community(code)
                    .ok_or_else(|| BoardError::UnknownCommunity(code.clone()))?;
                d.grids
                    .iter()
                    .filter(|g| &g.community_code == code)
                    .map(|g| g.code.clone())
                    .collect()
            }
            BoardScope::Street(code) => {
                if !d.streets.iter().any(|s| &s.code == code) {
                    return Err(BoardError::UnknownStreet(code.clone()));
                }
                let communities: BTreeSet<&str> = d
                    .communities
                    .iter()
                    .filter(|c| &c.street_code == code)
                    .map(|c| c.code.as_str())
                    .collect();
                d.grids
                    .iter()
                    .filter(|g| communities.contains(g.community_code.as_str()))
                    .map(|g| g.code.clone())
                    .collect()
            }
        };
        codes.sort();
        Ok(codes)
    }
}

/// The boards of `grids` (codes known to `snapshot`), in the order given. `workers` and `heads`
/// are the records the caller may read, phones as the caller may see them.
pub fn boards(
    snapshot: &Snapshot,
    grids: &[String],
    workers: &[GridWorker],
    heads: &[BuildingHead],
    caps: Caps,
) -> Result<Vec<GridBoard>, BoardError> {
    let mut catalogs: Vec<Catalog> = Vec::new();
    let mut out = Vec::with_capacity(grids.len());
    for code in grids {
        let grid = snapshot
            .grid(code)
            .ok_or_else(|| BoardError::UnknownGrid(code.clone()))?;
        let pos = match catalogs
            .iter()
            .position(|c| c.community_code == grid.community_code)
        {
            Some(p) => p,
            None => {
                catalogs.push(Catalog::from_snapshot(snapshot, &grid.community_code)?);
                catalogs.len() - 1
            }
        };
        out.push(board(snapshot, &catalogs[pos], grid, workers, heads, caps));
    }
    Ok(out)
}

fn board(
    snapshot: &Snapshot,
    catalog: &Catalog,
    grid: &crate::Grid,
    workers: &[GridWorker],
    heads: &[BuildingHead],
    caps: Caps,
) -> GridBoard {
    let units: Vec<_> = catalog
        .units(&catalog.stored_splits())
        .into_iter()
        .filter(|u| u.recorded_grid.as_deref() == Some(grid.code.as_str()))
        .collect();
    let compounds: BTreeSet<i64> = units.iter().filter_map(|u| u.compound_id).collect();
    let buildings = catalog
        .buildings
        .iter()
        .filter(|b| b.compound_id.is_some_and(|c| compounds.contains(&c)))
        .map(|b| b.geometry.clone())
        .collect();
    let in_grid = |h: &BuildingHead| {
        let building = h.unit.building_id.and_then(|id| catalog.building(id));
        let compound = h
            .unit
            .compound_id
            .or_else(|| building.and_then(|b| b.compound_id));
        match building {
            Some(b) if b.grid_code.is_some() || b.compound_id.is_none() => {
                b.grid_code.as_deref() == Some(grid.code.as_str())
            }
            _ => compound.is_some_and(|c| compounds.contains(&c)),
        }
    };
    let mut heads: Vec<BoardHead> = heads
        .iter()
        .filter(|h| in_grid(h))
        .map(|h| BoardHead {
            name: h.name.clone(),
            phone: h.phone.clone(),
            unit: head_unit(catalog, h),
        })
        .collect();
    heads.sort_by(|a, b| a.unit.cmp(&b.unit).then_with(|| a.name.cmp(&b.name)));
    let workers = workers
        .iter()
        .filter(|w| w.grids.iter().any(|g| g == &grid.code))
        .map(|w| BoardWorker {
            name: w.name.clone(),
            phone: w.phone.clone(),
            duties: w.roles.iter().map(|r| r.label_zh().to_owned()).collect(),
            start_date: w.start_date.clone(),
            photo: w.photo.clone(),
        })
        .collect();
    let street = snapshot.community(&grid.community_code).and_then(|c| {
        snapshot
            .data
            .streets
            .iter()
            .find(|s| s.code == c.street_code)
    });
    let mut board_units: Vec<BoardUnit> = units
        .iter()
        .map(|u| BoardUnit {
            name: u.name.clone(),
            kind: u.kind,
            households: u.households,
            three_no: u.three_no,
            geometry: u.geometry.clone(),
        })
        .collect();
    board_units.sort_by(|a, b| {
        (a.kind == UnitKind::ScatteredBuilding)
            .cmp(&(b.kind == UnitKind::ScatteredBuilding))
            .then_with(|| a.name.cmp(&b.name))
    });
    GridBoard {
        grid_code: grid.code.clone(),
        grid_name: grid.name.clone(),
        community_code: grid.community_code.to_string(),
        community_name: catalog.community_name.clone(),
        street_code: street.map(|s| s.code.clone()).unwrap_or_default(),
        street_name: street.map(|s| s.name.clone()).unwrap_or_default(),
        boundary: grid.geometry.clone(),
        households: units.iter().map(|u| u.households).sum(),
        load: units.iter().map(|u| u.load(&caps)).sum(),
        caps,
        units: board_units,
        buildings,
        workers,
        heads,
        data_version: snapshot.version,
    }
}

/// The name of what a building head looks after: the compound, the compound's building, or
/// the scattered building.
fn head_unit(catalog: &Catalog, head: &BuildingHead) -> String {
    let building = head.unit.building_id.and_then(|id| catalog.building(id));
    let compound = head
        .unit
        .compound_id
        .or_else(|| building.and_then(|b| b.compound_id))
        .and_then(|id| catalog.compound(id));
    match (compound, building) {
        (Some(c), Some(b)) => format!("{}{}", c.name, b.name.as_deref().unwrap_or("")),
        (Some(c), None) => c.name.clone(),
        (None, Some(b)) => b.name.clone().unwrap_or_else(|| format!("楼栋#{}", b.id)),
        (None, None) => String::new(),
    }
}
