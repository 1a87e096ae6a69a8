//! Where a feature lies decides what it belongs to 落图定属. Files from outside the community
//! (a survey, a bureau's Shapefile, a list of map points) seldom name the community, street or
//! grid of each feature; the atlas knows the areas. An incoming feature that names no community
//! (street, for a community) takes the one containing it (its point, or a polygon's interior
//! point), and, being from outside, its grid too; one that names an area other than the one it
//! lies in is refused naming both; one that must belong to a community and lies in none is
//! refused. A feature that names its community keeps the grid it names, or none: grid membership
//! is the planners' assignment (a compound may await its grid), so a restored export comes back
//! unchanged. A named area where no area of the atlas lies (data beyond the mapped district) is
//! left as named.

use std::collections::HashMap;

use geo::{BoundingRect, Contains, InteriorPoint};
use geo_types::{Geometry, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde_json::{Map, Value};

use crate::columns::name_key;
use crate::model::Layer;
use crate::reason::quoted;
use crate::snapshot::Dataset;
use crate::{Feature, Problem};

/// One area a feature can belong to: a street, a community or a grid.
#[derive(Debug, Clone)]
struct Area {
    code: String,
    name: String,
    /// The street of a community, the community of a grid.
    parent: String,
    shape: MultiPolygon,
}

/// Areas of one level with a bounding-box index and a name index.
#[derive(Debug, Clone, Default)]
struct AreaSet {
    items: Vec<Area>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    /// Positions by [`name_key`] of the name, and of the name without its 社区/街道 ending.
    by_name: HashMap<String, Vec<usize>>,
}

impl AreaSet {
    fn push(&mut self, area: Area) {
        let i = self.items.len();
        if let Some(r) = area.shape.bounding_rect() {
            let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            self.tree.insert(GeomWithData::new(rect, i));
        }
        let key = name_key(&area.name);
        let short = ["社区", "街道"]
            .iter()
            .find_map(|end| key.strip_suffix(end))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        for k in short.into_iter().chain([key]) {
            self.by_name.entry(k).or_default().push(i);
        }
        self.items.push(area);
    }

    /// The area containing `p` (the first by code when areas overlap).
    fn at(&self, p: Point) -> Option<&Area> {
        let env = AABB::from_point([p.x(), p.y()]);
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| &self.items[e.data])
            .filter(|a| a.shape.contains(&p))
            .min_by(|a, b| a.code.cmp(&b.code))
    }

    fn named(&self, code: &str) -> Option<&Area> {
        self.items.iter().find(|a| a.code == code)
    }

    /// The code of the one area called `name`, with or without its 社区/街道 ending.
    fn by_name(&self, name: &str) -> Option<String> {
        match self.by_name.get(&name_key(name))?.as_slice() {
            [one] => Some(self.items[*one].code.clone()),
            _ => None,
        }
    }
}

/// The streets, communities and grids incoming features are placed in.
#[derive(Debug, Clone, Default)]
pub struct Areas {
    streets: AreaSet,
    communities: AreaSet,
    grids: AreaSet,
}

/// The area fields one placement filled in.
pub type Filled = Vec<&'static str>;

impl Areas {
    /// The areas of a dataset.
    pub fn of(data: &Dataset) -> Areas {
        let mut areas = Areas::default();
        for f in data.features().filter(|f| {
            matches!(
                f.layer(),
                Layer::Streets | Layer::Communities | Layer::Grids
            )
        }) {
            areas.add(&f);
        }
        areas
    }

    /// Adds an area feature (a street, community or grid of the same import); others are ignored.
    pub fn add(&mut self, f: &Feature) {
        match f {
            Feature::Street(s) => self.streets.push(Area {
                code: s.code.clone(),
                name: s.name.clone(),
                parent: String::new(),
                shape: s.geometry.clone(),
            }),
            Feature::Community(c) => self.communities.push(Area {
                code: c.code.clone(),
                name: c.name.clone(),
                parent: c.street_code.clone(),
                shape: c.geometry.clone(),
            }),
            Feature::Grid(g) => self.grids.push(Area {
                code: g.code.clone(),
                name: g.name.clone(),
                parent: g.community_code.to_string(),
                shape: MultiPolygon::new(vec![g.geometry.clone()]),
            }),
            _ => {}
        }
    }

    /// Fills the area codes an incoming feature of `layer` leaves out from where it lies (WGS84
    /// `geometry`) and checks the ones it names; says which it filled.
    pub fn place(
        &self,
        layer: Layer,
        props: &mut Map<String, Value>,
        geometry: &Geometry,
    ) -> Result<Filled, Vec<Problem>> {
        let Some(at) = anchor(geometry) else {
            return Ok(Vec::new());
        };
        let mut filled = Vec::new();
        let mut problems = Vec::new();
        let (set, field, what, required) = match layer {
            Layer::Communities => (&self.streets, "street_code", "street", true),
            // A way lies in the street of its middle; beyond every street it names none.
            Layer::Ways => (&self.streets, "street_code", "street", false),
            Layer::Grids
            | Layer::Compounds
            | Layer::Buildings
            | Layer::Gates
            | Layer::Stations
            | Layer::ServiceSpaces => (&self.communities, "community_code", "community", true),
            Layer::Streets => return Ok(filled),
        };
        match decide(set, props, field, what, at, required) {
            Ok(true) => filled.push(field),
            Ok(false) => {}
            Err(p) => problems.push(*p),
        }
        if matches!(layer, Layer::Compounds | Layer::Buildings) {
            let community = props
                .get("community_code")
                .and_then(Value::as_str)
                .map(str::to_owned);
            // A grid is taken only within the feature's own community.
            let from_outside = filled.contains(&"community_code");
            let grid_here = self
                .grids
                .at(at)
                .filter(|g| community.as_deref().is_none_or(|c| g.parent == c));
            let named = props
                .get("grid_code")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match (named, grid_here) {
                (None, Some(g)) if from_outside => {
                    props.insert("grid_code".into(), Value::String(g.code.clone()));
                    filled.push("grid_code");
                }
                (Some(n), Some(g)) if n != g.code => problems.push(disagreement(
                    "grid_code",
                    "grid",
                    &n,
                    self.grids.named(&n),
                    g,
                )),
                _ => {}
            }
        }
        if problems.is_empty() {
            Ok(filled)
        } else {
            Err(problems)
        }
    }
}

/// Fills or checks one area field; `Ok(true)` when it was filled.
fn decide(
    set: &AreaSet,
    props: &mut Map<String, Value>,
    field: &'static str,
    what: &str,
    at: Point,
    required: bool,
) -> Result<bool, Box<Problem>> {
    let mut named = props
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    // An area named by its name (龙南社区, or 龙南) rather than its code: the code it names.
    if let Some(n) = named
        .as_deref()
        .filter(|n| !n.bytes().all(|b| b.is_ascii_digit()))
    {
        let code = set.by_name(n).ok_or_else(|| {
            Problem::new(
                field,
                format!(
                    "no {what} is called \"{n}\": write its name as the atlas has it, or its code"
                ),
                format!(
                    "没有名为{}的{}：请按地图中的名称填写，或填写代码",
                    quoted(n),
                    what_zh(what)
                ),
            )
        })?;
        props.insert(field.into(), Value::String(code.clone()));
        named = Some(code);
    }
    let here = set.at(at);
    match (named, here) {
        (None, Some(a)) => {
            props.insert(field.into(), Value::String(a.code.clone()));
            Ok(true)
        }
        (None, None) if required && !set.items.is_empty() => Err(Box::new(Problem::new(
            field,
            format!(
                "names no {what} and lies in none of the atlas's {what} areas at ({:.6}, {:.6}): \
                 name its {what} or check its coordinates and coordinate system",
                at.x(),
                at.y()
            ),
            format!(
                "未填写所属{w}，且不在任何{w}范围内 ({:.6}, {:.6})：请填写所属{w}，或检查坐标及坐标系",
                at.x(),
                at.y(),
                w = what_zh(what)
            ),
        ))),
        (Some(n), Some(a)) if n != a.code => {
            Err(Box::new(disagreement(field, what, &n, set.named(&n), a)))
        }
        _ => Ok(false),
    }
}

fn disagreement(
    field: &str,
    what: &str,
    named: &str,
    named_area: Option<&Area>,
    here: &Area,
) -> Problem {
    let named_name = named_area.map_or_else(String::new, |a| format!(" ({})", a.name));
    let named_name_zh = named_area.map_or_else(String::new, |a| format!("（{}）", a.name));
    let w = what_zh(what);
    Problem::new(
        field,
        format!(
            "names {what} {named}{named_name} but lies in {what} {} ({}): correct the code or the \
             position",
            here.code, here.name
        ),
        format!(
            "填写的{w}是 {named}{named_name_zh}，但位置在{w} {}（{}）内：请改正代码或位置",
            here.code, here.name
        ),
    )
}

/// An area kind (`street`, `community`, `grid`) in Chinese.
fn what_zh(what: &str) -> &'static str {
    match what {
        "street" => "街道",
        "grid" => "网格",
        _ => "社区",
    }
}

/// The point a feature is placed by: a point itself, a shape's interior point.
fn anchor(g: &Geometry) -> Option<Point> {
    match g {
        Geometry::Point(p) => Some(*p),
        other => other.interior_point(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feature(layer: Layer, props: Value, rect: [f64; 4]) -> Feature {
        let [x0, y0, x1, y1] = rect;
        let f: geojson::Feature = serde_json::from_value(json!({
            "type": "Feature",
            "properties": props,
            "geometry": { "type": "Polygon",
                "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] }
        }))
        .expect("geojson");
        Feature::from_geojson(layer, &f).expect("valid")
    }

    /// Two communities side by side, a grid in the western one.
    fn areas() -> Areas {
        let community = |code: &str, name: &str, x0: f64| {
            feature(
                Layer::Communities,
                json!({ "code": code, "name": name, "street_code": "510504003",
                        "kind": "urban", "residents_groups": 3 }),
                [x0, 28.0, x0 + 0.01, 28.01],
            )
        };
        let mut areas = Areas::default();
        areas.add(&community("510504003001", "西社区", 105.0));
        areas.add(&community("510504003002", "东社区", 105.01));
        areas.add(&feature(
            Layer::Grids,
            json!({ "code": "510504003001001", "name": "一网格",
                    "community_code": "510504003001", "workers": 1 }),
            [105.0, 28.0, 105.005, 28.01],
        ));
        areas
    }

    fn place(props: Value, at: (f64, f64)) -> (Result<Filled, Vec<Problem>>, Map<String, Value>) {
        let mut props = props.as_object().cloned().expect("object");
        let r = areas().place(
            Layer::Stations,
            &mut props,
            &Geometry::Point(Point::new(at.0, at.1)),
        );
        (r, props)
    }

    #[test]
    fn a_feature_naming_no_community_takes_the_one_it_lies_in() {
        let (r, props) = place(json!({ "name": "驿站" }), (105.002, 28.005));
        assert_eq!(r.expect("placed"), ["community_code"]);
        assert_eq!(props["community_code"], "510504003001");
        let (r, props) = place(json!({}), (105.015, 28.005));
        assert_eq!(r.expect("placed"), ["community_code"]);
        assert_eq!(props["community_code"], "510504003002");
    }

    #[test]
    fn a_named_community_elsewhere_or_no_community_anywhere_is_refused() {
        let (r, _) = place(
            json!({ "community_code": "510504003002" }),
            (105.002, 28.005),
        );
        let p = &r.expect_err("disagrees")[0];
        assert_eq!(p.field, "community_code");
        assert!(
            p.reason.contains("names community 510504003002 (东社区)")
                && p.reason.contains("lies in community 510504003001 (西社区)"),
            "{}",
            p.reason
        );
        let (r, _) = place(json!({}), (106.0, 29.0));
        let nowhere = &r.expect_err("nowhere")[0];
        assert!(nowhere.reason.contains("lies in none"));
        assert!(
            nowhere
                .reason_zh
                .starts_with("未填写所属社区，且不在任何社区范围内 ("),
            "{}",
            nowhere.reason_zh
        );
        let (r, props) = place(json!({ "community_code": "510504003009" }), (106.0, 29.0));
        assert_eq!(r.expect("beyond the mapped areas: as named"), Filled::new());
        assert_eq!(props["community_code"], "510504003009");
    }

    #[test]
    fn a_community_named_by_its_name_is_read_as_its_code() {
        let (r, props) = place(json!({ "community_code": "西社区" }), (105.002, 28.005));
        assert_eq!(r.expect("placed"), Filled::new());
        assert_eq!(props["community_code"], "510504003001");
        let (r, _) = place(json!({ "community_code": "东" }), (105.002, 28.005));
        assert!(r.expect_err("named 东社区, lies in 西社区")[0]
            .reason
            .contains("names community 510504003002 (东社区)"));
        let (r, _) = place(json!({ "community_code": "南社区" }), (105.002, 28.005));
        assert!(r.expect_err("unknown")[0]
            .reason
            .contains("no community is called \"南社区\""));
    }

    #[test]
    fn a_compound_from_outside_takes_its_grid_and_a_named_community_keeps_its_grid_as_named() {
        let mut props = Map::new();
        let at = Geometry::Point(Point::new(105.002, 28.005));
        let filled = areas()
            .place(Layer::Compounds, &mut props, &at)
            .expect("placed");
        assert_eq!(filled, ["community_code", "grid_code"]);
        assert_eq!(props["grid_code"], "510504003001001");
        let mut props = json!({ "community_code": "510504003001" })
            .as_object()
            .cloned()
            .expect("object");
        let filled = areas()
            .place(Layer::Compounds, &mut props, &at)
            .expect("placed");
        assert!(filled.is_empty() && !props.contains_key("grid_code"));
        let mut props = json!({ "community_code": "510504003001", "grid_code": "510504003001002" })
            .as_object()
            .cloned()
            .expect("object");
        let p = areas()
            .place(Layer::Compounds, &mut props, &at)
            .expect_err("grid disagrees");
        assert!(
            p[0].reason
                .contains("lies in grid 510504003001001 (一网格)"),
            "{}",
            p[0].reason
        );
    }
}
