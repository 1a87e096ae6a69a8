//! The planning context of a community: its units under one split, in a local metric frame,
//! with their tessellation (cells and adjacency). Built once per snapshot version and split;
//! moving units between grids never needs a new one.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use geo::{BoundingRect, MapCoords};
use geo_types::{Coord, Geometry, MultiPolygon};
use serde::{Deserialize, Serialize};

use super::graph::UnitGraph;
use super::tessellation::{tessellate, CellIssue, Tessellation, TessellationOptions};
use super::units::{Catalog, PlanningUnit, UnitRef};
use super::PlanningError;
use crate::crs::LocalFrame;

/// A unit the tessellation had trouble with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitIssue {
    pub unit: UnitRef,
    pub issue: CellIssue,
}

/// A community's planning units with their cells and adjacency, under one split.
#[derive(Debug, Clone)]
pub struct PlanningContext {
    pub catalog: Arc<Catalog>,
    /// Compounds split along their buildings (only compounds that have buildings).
    pub split_compounds: BTreeSet<i64>,
    pub options: TessellationOptions,
    /// The units, in catalog order; a unit's position here is its index in the graph.
    pub units: Vec<PlanningUnit>,
    /// The metric frame of the cells (metres east/north of the boundary's centre).
    pub frame: LocalFrame,
    /// Cells (metres) and adjacency of the units.
    pub tessellation: Tessellation,
    /// Units the tessellation had trouble with.
    pub issues: Vec<UnitIssue>,
    index: HashMap<UnitRef, usize>,
}

impl PlanningContext {
    /// Builds the units of `catalog` with the compounds in `split` split along their buildings
    /// (compounds without buildings stay whole) and tessellates the boundary by them.
    pub fn new(
        catalog: Arc<Catalog>,
        split: &BTreeSet<i64>,
        options: TessellationOptions,
    ) -> Result<PlanningContext, PlanningError> {
        if !(options.spacing_m > 0.0 && options.spacing_m.is_finite()) {
            return Err(PlanningError::InvalidOption {
                field: "tessellation.spacing_m".into(),
                reason: format!("{} is not a positive number of metres", options.spacing_m),
            });
        }
        if !(options.edge_tolerance_m >= 0.0 && options.edge_tolerance_m.is_finite()) {
            return Err(PlanningError::InvalidOption {
                field: "tessellation.edge_tolerance_m".into(),
                reason: format!(
                    "{} is not a non-negative number of metres",
                    options.edge_tolerance_m
                ),
            });
        }
        let split_compounds: BTreeSet<i64> = split
            .iter()
            .copied()
            .filter(|&c| catalog.buildings_of(c).next().is_some())
            .collect();
        let units = catalog.units(&split_compounds);
        let origin = catalog
            .boundary
            .bounding_rect()
            .map(geo::Rect::center)
            .or_else(|| units.first().map(|u| u.centroid.0))
            .unwrap_or(Coord { x: 0.0, y: 0.0 });
        // WGS84 radii at the community's centre: metres within 0.1 % across a community.
        let frame = crate::analysis::metric_frame(origin);
        let to_m = |c: Coord| frame.to_metres(c);
        let geometries: Vec<Geometry> = units.iter().map(|u| u.geometry.map_coords(to_m)).collect();
        let boundary = catalog.boundary.map_coords(to_m);
        let tessellation = tessellate(&geometries, &boundary, &options);
        let issues = tessellation
            .issues
            .iter()
            .map(|&(i, issue)| UnitIssue {
                unit: units[i].unit,
                issue,
            })
            .collect();
        let index = units.iter().enumerate().map(|(i, u)| (u.unit, i)).collect();
        Ok(PlanningContext {
            catalog,
            split_compounds,
            options,
            units,
            frame,
            tessellation,
            issues,
            index,
        })
    }

    /// The community code of the catalog.
    pub fn community_code(&self) -> &str {
        &self.catalog.community_code
    }

    /// The position (graph index) of a unit.
    pub fn position(&self, unit: UnitRef) -> Option<usize> {
        self.index.get(&unit).copied()
    }

    pub fn unit(&self, unit: UnitRef) -> Option<&PlanningUnit> {
        self.position(unit).map(|i| &self.units[i])
    }

    /// The adjacency graph (unit `i` is `self.units[i]`).
    pub fn graph(&self) -> &UnitGraph {
        &self.tessellation.graph
    }

    /// Whether two units' cells share a boundary longer than the tolerance.
    pub fn adjacent(&self, a: UnitRef, b: UnitRef) -> bool {
        match (self.position(a), self.position(b)) {
            (Some(i), Some(j)) => self.graph().shared_length(i, j).is_some(),
            _ => false,
        }
    }

    /// A unit's neighbours with the boundary length they share, metres.
    pub fn neighbours(&self, unit: UnitRef) -> Vec<(UnitRef, f64)> {
        self.position(unit)
            .map(|i| {
                self.graph()
                    .neighbours(i)
                    .map(|(j, l)| (self.units[j].unit, l))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A unit's cell, WGS84 lon/lat.
    pub fn cell(&self, unit: UnitRef) -> Option<MultiPolygon> {
        self.position(unit)
            .map(|i| self.to_lonlat(&self.tessellation.cells[i]))
    }

    /// The dissolved cells of units (by position), metres.
    pub fn dissolve_m(&self, positions: &[usize]) -> MultiPolygon {
        self.tessellation.dissolve(positions.iter().copied())
    }

    /// Metres of the context's frame → WGS84 lon/lat.
    pub fn to_lonlat(&self, mp: &MultiPolygon) -> MultiPolygon {
        mp.map_coords(|c| self.frame.to_lonlat(c))
    }
}
