//! OpenStreetMap ways 道路 from an `.osm.pbf` extract (read with the `osmpbf` crate), each with
//! its geometry, the tags the atlas uses and whether pedestrians may walk it ([`walk_rule`]).
//!
//! Two passes, so that memory follows the ways kept, not the file: the first keeps the ways
//! tagged `highway=*` (their tags and node ids; buildings, rivers and the rest are counted and
//! dropped), the second reads only the coordinates of the nodes those ways use (a sorted id
//! list and 8 bytes per node). Files with node locations on ways (`osmium
//! add-locations-to-ways`) need no second look. Blobs are decoded in parallel.
//!
//! A way whose nodes are partly missing (an extract cut at its boundary) keeps the runs of
//! nodes present, each as a part of its own with the way's id: joining across the gap would
//! walk through what is not in the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use geo_types::{Coord, LineString};
use osmpbf::{BlobDecode, BlobReader, PrimitiveBlock};
use rayon::prelude::*;
use serde::Serialize;

use engine::network::WayInput;
use engine::{Layer, Problem, Reason, WayKind};
use serde_json::Value;

/// The tags kept with each way (others are dropped on reading).
pub const KEPT_TAGS: &[&str] = &[
    "highway",
    "name",
    "name:zh",
    "name:en",
    "ref",
    "foot",
    "access",
    "service",
    "area",
    "motorroad",
    "bridge",
    "tunnel",
    "layer",
    "level",
    "indoor",
    "footway",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "crossing",
    "oneway",
    "surface",
    "lit",
    "wheelchair",
];

/// `highway` values of ways that are not there (yet, or any more): never walkable.
const NOT_BUILT: &[&str] = &[
    "proposed",
    "construction",
    "planned",
    "abandoned",
    "disused",
    "dismantled",
    "razed",
    "no",
];

/// `foot` values that let pedestrians on whatever else the tags say.
const FOOT_ALLOWED: &[&str] = &["yes", "designated", "permissive", "destination", "official"];

/// `foot` values that forbid walking (`foot=private` counts as private).
const FOOT_FORBIDDEN: &[&str] = &["no", "private", "agricultural", "forestry", "delivery"];

/// `access` values that close a way to pedestrians unless `foot` allows them (OSRM's foot
/// profile's blacklist).
const NO_ACCESS: &[&str] = &["no", "private", "agricultural", "forestry", "delivery"];

/// `highway` values walkable by default.
const WALKABLE_KINDS: &[&str] = &[
    "footway",
    "pedestrian",
    "path",
    "steps",
    "corridor",
    "elevator",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "road",
    "track",
    "cycleway",
    "bridleway",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trunk",
    "trunk_link",
];

/// `highway` values for motor vehicles (or buses) only.
const MOTOR_KINDS: &[&str] = &[
    "motorway",
    "motorway_link",
    "busway",
    "bus_guideway",
    "raceway",
    "escape",
];

/// The row of the pedestrian rule table that decided a way ([`walk_rule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WalkRule {
    /// `foot=yes|designated|permissive|destination|official`: walkable whatever else is said.
    FootAllowed,
    /// A kind of way pedestrians use by default (footway … trunk).
    WalkableKind,
    /// `highway=proposed|construction|planned|abandoned|disused|dismantled|razed|no`.
    NotBuilt,
    /// `area=yes`: the outline of a square or a parking area, not a path along it.
    Area,
    /// `foot=no` (or an agricultural/forestry/delivery-only `foot`).
    FootNo,
    /// `access=no|private|agricultural|forestry|delivery`, `foot=private` or
    /// `service=private`: a gated estate's or campus's own ways.
    Private,
    /// `motorroad=yes`: an expressway closed to pedestrians (城市快速路 are often mapped as
    /// `trunk` with it).
    Motorroad,
    /// `motorway`, `motorway_link`, `busway`, `bus_guideway`, `raceway`, `escape`.
    MotorOnly,
    /// Any other `highway` value (`platform`, `rest_area`, `services`, `via_ferrata`, …).
    NotAPath,
}

impl WalkRule {
    /// Whether the rule makes the way walkable.
    pub fn walkable(self) -> bool {
        matches!(self, WalkRule::FootAllowed | WalkRule::WalkableKind)
    }
}

/// Whether pedestrians may walk a way tagged `highway=…`, and by which rule. The first row that
/// applies decides:
///
/// | # | tags | decision |
/// |---|---|---|
/// | 1 | `highway` = proposed, construction, planned, abandoned, disused, dismantled, razed, no | excluded: not built |
/// | 2 | `area=yes` | excluded: an area's outline is not a path (walking across squares is left out) |
/// | 3 | `foot` = no, agricultural, forestry, delivery / `foot=private` | excluded |
/// | 4 | `foot` = yes, designated, permissive, destination, official | walkable |
/// | 5 | `access` = no, private, agricultural, forestry, delivery, or `service=private` | excluded: private |
/// | 6 | `motorroad=yes` | excluded: motor road |
/// | 7 | `highway` = footway, pedestrian, path, steps, corridor, elevator, `living_street`, residential, service, unclassified, road, track, cycleway, bridleway, tertiary(`_link`), secondary(`_link`), primary(`_link`), trunk(`_link`) | walkable |
/// | 8 | `highway` = motorway, `motorway_link`, busway, `bus_guideway`, raceway, escape | excluded: motor vehicles only |
/// | 9 | any other `highway` (platform, `rest_area`, services, `via_ferrata`, …) | excluded: not a path |
///
/// Sources: the `OSMnx` `walk` network filter (rows 1, 2, 3, 5 with `service=private`, 8, 9
/// for platform), pandana's `osmnet` walk filter (which, unlike `OSMnx`, keeps cycleways), OSRM's
/// foot profile (`foot.lua`: its access blacklist and whitelist, rows 3–5) and the OSM wiki's
/// access defaults (`motorroad=yes` bars pedestrians; in China pedestrians may not use
/// motorways, 道路交通安全法 第67条). Choices where they differ:
/// - `trunk` is walkable unless `foot=no` or `motorroad=yes` (`OSMnx`, `osmnet`; OSRM leaves trunk
///   out): national roads through Chinese towns are trunk with pavements.
/// - `cycleway` is walkable unless `foot=no` (`osmnet`; `OSMnx` leaves cycleways out): 非机动车道
///   beside a road are walked, and leaving them out cuts paths.
/// - A road with `sidewalk=separate` or `foot=use_sidepath` stays walkable (`OSMnx` drops it):
///   its mapped pavement runs within metres of it, and keeping the centreline keeps the network
///   whole where crossings were not mapped.
/// - Barriers on nodes (a locked gate) and `oneway` are not applied: walking ignores one-way
///   rules, and gate barriers are left for the gates layer.
pub fn walk_rule<'t>(tag: impl Fn(&str) -> Option<&'t str>) -> Option<WalkRule> {
    let highway = tag("highway")?;
    let rule = if NOT_BUILT.contains(&highway) {
        WalkRule::NotBuilt
    } else if tag("area") == Some("yes") {
        WalkRule::Area
    } else if tag("foot") == Some("private") {
        WalkRule::Private
    } else if tag("foot").is_some_and(|f| FOOT_FORBIDDEN.contains(&f)) {
        WalkRule::FootNo
    } else if tag("foot").is_some_and(|f| FOOT_ALLOWED.contains(&f)) {
        WalkRule::FootAllowed
    } else if tag("access").is_some_and(|a| NO_ACCESS.contains(&a))
        || tag("service") == Some("private")
    {
        WalkRule::Private
    } else if tag("motorroad") == Some("yes") {
        WalkRule::Motorroad
    } else if WALKABLE_KINDS.contains(&highway) {
        WalkRule::WalkableKind
    } else if MOTOR_KINDS.contains(&highway) {
        WalkRule::MotorOnly
    } else {
        WalkRule::NotAPath
    };
    Some(rule)
}

/// One OSM way tagged `highway=*` (or one part of it, when the extract cut it).
#[derive(Debug, Clone, PartialEq)]
pub struct OsmWay {
    /// The OSM way id.
    pub id: i64,
    /// 0 for a whole way; the parts of a way cut by missing nodes count from 0 in order.
    pub part: u32,
    /// WGS84 lon/lat.
    pub geometry: LineString,
    /// The [`KEPT_TAGS`] the way has, in the file's order.
    pub tags: Vec<(String, String)>,
    /// The rule that decided whether it is walkable.
    pub rule: WalkRule,
}

impl OsmWay {
    /// A tag's value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether pedestrians may walk it.
    pub fn walkable(&self) -> bool {
        self.rule.walkable()
    }

    /// The way as the walking graph takes it.
    pub fn way_input(&self) -> WayInput {
        WayInput {
            id: self.id,
            geometry: self.geometry.clone(),
            walkable: self.walkable(),
        }
    }
}

/// What a read found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsmReport {
    /// Every way in the file.
    pub ways: usize,
    /// Ways tagged `highway=*`.
    pub highways: usize,
    /// Highways kept as walkable.
    pub walkable: usize,
    /// Highways not walkable, by the rule that excluded them.
    pub excluded: BTreeMap<WalkRule, usize>,
    /// Node references whose node is not in the file.
    pub missing_nodes: usize,
    /// Highways with a line that miss some of their nodes (kept as the runs present).
    pub incomplete: usize,
    /// Of those, highways cut into several parts.
    pub cut: usize,
    /// Highways left without a line (fewer than two of their nodes in the file).
    pub without_geometry: usize,
}

/// The ways of an extract and what reading found.
#[derive(Debug, Clone, Default)]
pub struct OsmRead {
    /// Highways with a line, by id and part.
    pub ways: Vec<OsmWay>,
    pub report: OsmReport,
}

/// Why an extract could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OsmError {
    #[error("cannot read the OpenStreetMap file {path}: {source}")]
    Read {
        path: PathBuf,
        source: osmpbf::Error,
    },
}

impl OsmError {
    /// The reason in English and Chinese.
    pub fn reason(&self) -> Reason {
        match self {
            OsmError::Read { path, source } => Reason::new(
                self.to_string(),
                format!("无法读取 OpenStreetMap 文件 {}（{source}）", path.display()),
            ),
        }
    }
}

/// A highway as the first pass keeps it.
struct Pending {
    id: i64,
    tags: Vec<(String, String)>,
    rule: WalkRule,
    refs: Vec<i64>,
    /// Decimicro-degree lat/lon of each node when the file carries them on ways.
    locations: Vec<(i32, i32)>,
}

/// What the first pass found in one blob.
#[derive(Default)]
struct WayBlob {
    ways: usize,
    highways: Vec<Pending>,
}

/// Reads the highways of an `.osm.pbf` file.
pub fn read_pbf(path: &Path) -> Result<OsmRead, OsmError> {
    let mut report = OsmReport::default();
    let mut pending = Vec::new();
    for blob in blocks(path, highways_of)? {
        report.ways += blob.ways;
        pending.extend(blob.highways);
    }
    pending.sort_by_key(|p| p.id);
    let mut needed: Vec<i64> = pending
        .iter()
        .filter(|p| p.locations.is_empty())
        .flat_map(|p| p.refs.iter().copied())
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let mut found = vec![(i32::MIN, i32::MIN); needed.len()];
    if !needed.is_empty() {
        for located in blocks(path, |block| locations_of(block, &needed))? {
            for (i, at) in located {
                found[i as usize] = at;
            }
        }
    }
    let location = |id: i64| {
        needed
            .binary_search(&id)
            .ok()
            .map(|i| found[i])
            .filter(|&(lat, _)| lat != i32::MIN)
    };
    let mut ways = Vec::with_capacity(pending.len());
    for p in pending {
        report.highways += 1;
        if p.rule.walkable() {
            report.walkable += 1;
        } else {
            *report.excluded.entry(p.rule).or_default() += 1;
        }
        let points: Vec<Option<(i32, i32)>> = if p.locations.is_empty() {
            p.refs.iter().map(|&id| location(id)).collect()
        } else {
            p.locations.iter().copied().map(Some).collect()
        };
        let missing = points.iter().filter(|x| x.is_none()).count();
        report.missing_nodes += missing;
        let runs = parts(&points);
        match runs.len() {
            0 => report.without_geometry += 1,
            n => {
                report.incomplete += usize::from(missing > 0);
                report.cut += usize::from(n > 1);
            }
        }
        for (part, geometry) in runs.into_iter().enumerate() {
            ways.push(OsmWay {
                id: p.id,
                part: part as u32,
                geometry,
                tags: p.tags.clone(),
                rule: p.rule,
            });
        }
    }
    Ok(OsmRead { ways, report })
}

/// The runs of at least two consecutive nodes present (decimicro lat/lon), as lines.
fn parts(points: &[Option<(i32, i32)>]) -> Vec<LineString> {
    points
        .split(Option::is_none)
        .filter(|run| run.len() >= 2)
        .map(|run| {
            run.iter()
                .flatten()
                .map(|&(lat, lon)| lonlat(lat, lon))
                .collect()
        })
        .collect()
}

/// `f` of every data block of the file, decoded in parallel (in no particular order).
fn blocks<T: Send>(
    path: &Path,
    f: impl Fn(&PrimitiveBlock) -> T + Sync + Send,
) -> Result<Vec<T>, OsmError> {
    let fail = |source| OsmError::Read {
        path: path.to_owned(),
        source,
    };
    BlobReader::from_path(path)
        .map_err(fail)?
        .par_bridge()
        .map(|blob| match blob?.decode()? {
            BlobDecode::OsmData(block) => Ok(Some(f(&block))),
            BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => Ok(None),
        })
        .filter_map(Result::transpose)
        .collect::<Result<Vec<T>, osmpbf::Error>>()
        .map_err(fail)
}

/// A decimicro-degree position as lon/lat degrees.
fn lonlat(lat: i32, lon: i32) -> Coord {
    Coord {
        x: f64::from(lon) / 1e7,
        y: f64::from(lat) / 1e7,
    }
}

/// The first pass over one block: every way counted, the highways kept.
fn highways_of(block: &PrimitiveBlock) -> WayBlob {
    let mut out = WayBlob::default();
    for way in block.groups().flat_map(|g| g.ways()) {
        out.ways += 1;
        let Some(rule) = walk_rule(|k| way.tags().find(|&(key, _)| key == k).map(|(_, v)| v))
        else {
            continue;
        };
        let tags = way
            .tags()
            .filter(|(k, _)| KEPT_TAGS.contains(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let refs: Vec<i64> = way.refs().collect();
        let locations: Vec<(i32, i32)> = way
            .node_locations()
            .map(|l| (l.decimicro_lat(), l.decimicro_lon()))
            .collect();
        let locations = if locations.len() == refs.len() {
            locations
        } else {
            Vec::new()
        };
        out.highways.push(Pending {
            id: way.id(),
            tags,
            rule,
            refs,
            locations,
        });
    }
    out
}

/// The second pass over one block: the positions of the needed nodes it holds, by their place
/// in `needed`.
fn locations_of(block: &PrimitiveBlock, needed: &[i64]) -> Vec<(u32, (i32, i32))> {
    let mut out = Vec::new();
    let mut keep = |id: i64, lat: i32, lon: i32| {
        if let Ok(i) = needed.binary_search(&id) {
            out.push((i as u32, (lat, lon)));
        }
    };
    for group in block.groups() {
        for n in group.dense_nodes() {
            keep(n.id(), n.decimicro_lat(), n.decimicro_lon());
        }
        for n in group.nodes() {
            keep(n.id(), n.decimicro_lat(), n.decimicro_lon());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osm_names_are_kept_as_the_atlas_keeps_names() {
        assert_eq!(name_of(" 蜀泸大道\t").as_deref(), Some("蜀泸大道"));
        assert_eq!(name_of("滨江\n路").as_deref(), Some("滨江路"));
        assert_eq!(name_of("\u{7}  "), None);
        assert_eq!(
            name_of(&"路".repeat(150)).map(|n| n.chars().count()),
            Some(100)
        );
    }

    fn rule(tags: &[(&'static str, &'static str)]) -> Option<WalkRule> {
        walk_rule(|k| tags.iter().find(|(key, _)| *key == k).map(|(_, v)| *v))
    }

    #[test]
    fn osm_walk_rules_decide_by_the_first_row_that_applies() {
        use WalkRule::{
            Area, FootAllowed, FootNo, MotorOnly, Motorroad, NotAPath, NotBuilt, Private,
            WalkableKind,
        };
        type Case = (&'static [(&'static str, &'static str)], Option<WalkRule>);
        let cases: &[Case] = &[
            (&[("building", "yes")], None),
            (&[("highway", "footway")], Some(WalkableKind)),
            (
                &[("highway", "residential"), ("name", "滨江路")],
                Some(WalkableKind),
            ),
            (&[("highway", "trunk")], Some(WalkableKind)),
            (
                &[("highway", "trunk"), ("motorroad", "yes")],
                Some(Motorroad),
            ),
            (&[("highway", "cycleway")], Some(WalkableKind)),
            (&[("highway", "cycleway"), ("foot", "no")], Some(FootNo)),
            (&[("highway", "motorway")], Some(MotorOnly)),
            (&[("highway", "motorway_link")], Some(MotorOnly)),
            (
                &[("highway", "motorway"), ("foot", "yes")],
                Some(FootAllowed),
            ),
            (
                &[("highway", "construction"), ("foot", "yes")],
                Some(NotBuilt),
            ),
            (&[("highway", "proposed")], Some(NotBuilt)),
            (&[("highway", "pedestrian"), ("area", "yes")], Some(Area)),
            (
                &[("highway", "service"), ("access", "private")],
                Some(Private),
            ),
            (
                &[
                    ("highway", "service"),
                    ("access", "private"),
                    ("foot", "yes"),
                ],
                Some(FootAllowed),
            ),
            (
                &[("highway", "service"), ("service", "private")],
                Some(Private),
            ),
            (
                &[("highway", "footway"), ("foot", "private")],
                Some(Private),
            ),
            (
                &[("highway", "residential"), ("access", "destination")],
                Some(WalkableKind),
            ),
            (
                &[("highway", "primary"), ("sidewalk", "separate")],
                Some(WalkableKind),
            ),
            (
                &[("highway", "primary"), ("foot", "use_sidepath")],
                Some(WalkableKind),
            ),
            (&[("highway", "steps")], Some(WalkableKind)),
            (&[("highway", "platform")], Some(NotAPath)),
            (&[("highway", "bus_stop")], Some(NotAPath)),
        ];
        for (tags, want) in cases {
            assert_eq!(rule(tags), *want, "{tags:?}");
        }
        assert!(FootAllowed.walkable() && WalkableKind.walkable());
        assert!(!Private.walkable() && !MotorOnly.walkable() && !Area.walkable());
    }

    #[test]
    fn osm_ways_missing_nodes_keep_the_runs_present() {
        let n = |i: i32| Some((600_000_000 + i, 260_000_000 + i));
        let lines = parts(&[None, n(1), n(2), None, n(3), None, n(4), n(5), n(6)]);
        assert_eq!(lines.len(), 2, "a lone node is no line");
        assert_eq!(lines[0].0.len(), 2);
        assert_eq!(lines[1].0.len(), 3);
        assert_eq!(
            lines[0].0[0],
            Coord {
                x: 26.000_000_1,
                y: 60.000_000_1
            }
        );
        assert!(parts(&[n(1), None, n(2)]).is_empty());
    }
}

/// An OSM name as the atlas keeps names: control characters dropped, trimmed, at most 100
/// characters; `None` when nothing is left.
fn name_of(tag: &str) -> Option<String> {
    let clean: String = tag.chars().filter(|c| !c.is_control()).collect();
    let name: String = clean.trim().chars().take(100).collect();
    (!name.is_empty()).then_some(name)
}

/// The ways of an `.osm.pbf` extract as features of the `ways` layer 道路: one per OSM way (the
/// parts of a way the extract cut stay one feature of several lines), its kind from `highway`
/// ([`WayKind::from_osm`]), `no_walking` when [`walk_rule`] bars pedestrians, `bridge` and
/// `tunnel` from their tags, its name (`name:zh`, else `name`), `osm_way` its id; each placed in
/// the street it lies in. Highways that are no way (not built, areas, platforms, …) are left out
/// and counted in the notes. Coordinates are WGS84, as OSM's.
pub fn read(
    layer: Layer,
    path: &Path,
    source: &super::Source,
) -> Result<super::FileRead, Vec<Problem>> {
    if layer != Layer::Ways {
        return Err(vec![Problem::new(
            "file",
            format!(
                "an OpenStreetMap extract holds ways: import it as the ways layer, not {layer}"
            ),
            format!(
                "OpenStreetMap 文件中是道路：请导入为“道路/步行路径”图层，而不是“{}”",
                layer.title_zh()
            ),
        )]);
    }
    let read = read_pbf(path).map_err(|e| vec![Problem::because("file", e.reason())])?;
    source.detected.record(|d| {
        d.encoding = Some("UTF-8".into());
        d.crs = Some(super::detected::CrsUse::new(
            engine::crs::Crs::Wgs84,
            "OpenStreetMap",
        ));
        d.rows = Some(read.report.highways);
    });
    let mut features = Vec::new();
    let mut problems = Vec::new();
    let mut left_out = 0usize;
    let areas = source.areas.as_deref();
    // OSM ways the atlas holds already: importing them again would lay a second copy.
    let held: std::collections::HashMap<i64, i64> = source
        .existing
        .iter()
        .flat_map(|s| s.data.ways.iter())
        .filter_map(|w| w.osm_way.map(|o| (o, w.id)))
        .collect();
    let mut i = 0;
    while i < read.ways.len() {
        let first = &read.ways[i];
        let mut j = i + 1;
        while j < read.ways.len() && read.ways[j].id == first.id {
            j += 1;
        }
        let parts = &read.ways[i..j];
        i = j;
        let Some(kind) = first.tag("highway").and_then(WayKind::from_osm) else {
            left_out += 1;
            continue;
        };
        if matches!(
            first.rule,
            WalkRule::NotBuilt | WalkRule::Area | WalkRule::NotAPath
        ) {
            left_out += 1;
            continue;
        }
        if let Some(id) = held.get(&first.id) {
            problems.push(
                Problem::new(
                    "osm_way",
                    format!("OSM way {} is in the atlas already (way {id}): delete the ways of the earlier import first, or import only the new area", first.id),
                    format!("OSM 道路 {} 已在图中（道路编号 {id}）：请先删除上次导入的道路，或只导入新的范围", first.id),
                )
                .at(None, Some(format!("osm way {}", first.id))),
            );
            continue;
        }
        let flag = |key: &str| first.tag(key).is_some_and(|v| v != "no");
        // Parts the reader kept may still collapse (two nodes at one position): left out, so
        // that one such way does not refuse a city's extract.
        let lines: Vec<Vec<Vec<f64>>> = parts
            .iter()
            .filter(|p| p.geometry.0.windows(2).any(|w| w[0] != w[1]))
            .map(|p| p.geometry.0.iter().map(|c| vec![c.x, c.y]).collect())
            .collect();
        if lines.is_empty() {
            left_out += 1;
            continue;
        }
        let mut props = serde_json::Map::new();
        if let Some(name) = first
            .tag("name:zh")
            .or_else(|| first.tag("name"))
            .and_then(name_of)
        {
            props.insert("name".into(), Value::from(name));
        }
        props.insert("kind".into(), Value::from(kind.name()));
        props.insert("no_walking".into(), Value::from(!first.walkable()));
        props.insert("bridge".into(), Value::from(flag("bridge")));
        props.insert("tunnel".into(), Value::from(flag("tunnel")));
        // Files edited in JOSM and not uploaded carry negative ids: not OSM's.
        if first.id > 0 {
            props.insert("osm_way".into(), Value::from(first.id));
        }
        let feature = geojson::Feature {
            bbox: None,
            geometry: Some(geojson::Geometry::new(geojson::Value::MultiLineString(
                lines,
            ))),
            id: None,
            properties: Some(props),
            foreign_members: None,
        };
        // A problem names the OSM way (the file has no rows or feature numbers a user sees).
        match super::parse_placed(Layer::Ways, None, feature, engine::crs::Crs::Wgs84, areas) {
            Ok((f, _)) => features.push(f),
            Err(ps) => problems.extend(
                ps.into_iter()
                    .map(|p| p.at(None, Some(format!("osm way {}", first.id)))),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let r = &read.report;
    let mut notes = vec![format!(
        "OpenStreetMap: {} ways, {} highways, {} walkable; {} imported as ways, {} left out (not built, areas or not paths)",
        r.ways,
        r.highways,
        r.walkable,
        features.len(),
        left_out
    )];
    if r.incomplete > 0 {
        notes.push(format!(
            "{} highways miss nodes the extract cut off: kept as the parts present ({} cut in several)",
            r.incomplete, r.cut
        ));
    }
    Ok(super::FileRead { features, notes })
}
