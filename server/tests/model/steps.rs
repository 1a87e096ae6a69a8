//! The requests of a model-based case as data — so a failing sequence can be printed as JSON,
//! shrunk by dropping steps and replayed — and their random generator.
//!
//! A step names its targets by position (`target: 7` is the 8th feature of the layer, modulo
//! how many the model holds when the step runs), never by id, so any subsequence of a sequence
//! is still a sequence.

use engine::schema::{self, FieldDef, FieldKind};
use engine::Layer;
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The community every case plans in (奥体社区 of the demo district).
pub const COMMUNITY: &str = "510504003006";
/// Its street.
pub const STREET: &str = "510504003";

fn admin() -> String {
    "admin".into()
}

/// One request (or, for `import` and `restart`, one stop of the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// `POST /ogc/collections/{layer}/items`: the `template`-th feature with `set` overriding
    /// its properties (`null` removes one) and `geometry` derived from its geometry.
    Create {
        layer: String,
        template: usize,
        #[serde(default)]
        set: Map<String, Value>,
        #[serde(default)]
        geometry: Geom,
        #[serde(default = "admin")]
        who: String,
    },
    /// `PUT …/items/{id}` of the `target`-th feature, with a stale `If-Match` when `stale`.
    Replace {
        layer: String,
        target: usize,
        #[serde(default)]
        set: Map<String, Value>,
        #[serde(default)]
        geometry: Geom,
        #[serde(default)]
        stale: bool,
        #[serde(default = "admin")]
        who: String,
    },
    /// `DELETE …/items/{id}` of the `target`-th feature.
    Delete {
        layer: String,
        target: usize,
        #[serde(default)]
        stale: bool,
        #[serde(default = "admin")]
        who: String,
    },
    /// `gridatlas import` of one `GeoJSON` or CSV file while the server is stopped.
    Import {
        layer: String,
        #[serde(default)]
        csv: bool,
        rows: Vec<Row>,
    },
    /// `gridatlas user add`.
    AddAccount {
        name: String,
        role: String,
        scope: String,
        #[serde(default)]
        disabled: bool,
        password: String,
    },
    /// `POST /api/session` with the password the account was given.
    SignIn { name: String },
    /// `POST /api/planning/drafts`.
    CreateDraft {
        community: String,
        name: Option<String>,
        #[serde(default = "admin")]
        who: String,
    },
    /// `POST /api/planning/drafts/{id}/operations` on the `draft`-th draft.
    Operate {
        draft: usize,
        ops: Vec<Op>,
        #[serde(default)]
        stale: bool,
        #[serde(default = "admin")]
        who: String,
    },
    /// `PUT /api/planning/drafts/{id}` `{name}`.
    RenameDraft {
        draft: usize,
        name: String,
        #[serde(default)]
        stale: bool,
    },
    /// `POST …/proposal`, and with `accept` the proposed plan `PUT` into the draft.
    Propose {
        draft: usize,
        seed: u64,
        accept: bool,
    },
    /// `DELETE /api/planning/drafts/{id}`.
    DeleteDraft {
        draft: usize,
        #[serde(default)]
        stale: bool,
    },
    /// `POST …/publish`.
    Publish {
        draft: usize,
        #[serde(default)]
        stale: bool,
        #[serde(default = "admin")]
        who: String,
    },
    /// Stops the server (store closed), reopens the store as `gridatlas serve` does and checks
    /// it against the model.
    Restart,
}

/// One feature of an import file: the `template`-th feature with `set` over its properties;
/// with `replace` it keeps the template's id (so the import replaces it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub template: usize,
    #[serde(default)]
    pub set: Map<String, Value>,
    #[serde(default)]
    pub geometry: Geom,
    #[serde(default)]
    pub replace: bool,
}

/// A geometry derived from a template feature's geometry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Geom {
    /// The template's geometry.
    #[default]
    Same,
    /// Every coordinate moved by `micro` × 1e-7°.
    Shift { micro: i32 },
    /// `"geometry": null`.
    Null,
    /// The layer's geometry type with no coordinates.
    Empty,
    /// The first coordinate's longitude set to 1e300.
    Huge,
    /// The exterior ring without its closing position (a point: given one coordinate only).
    Unclosed,
    /// A self-intersecting square (a point: a bow-tie polygon).
    BowTie,
    /// A `LineString` (no layer takes one).
    LineString,
    /// A point at the given position (a polygon layer: a tiny square there).
    Point { lon: f64, lat: f64 },
}

/// One edit of a draft's plan; `grid`/`unit` pick by position in the draft's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    SetGrid {
        grid: usize,
        name: Option<String>,
        workers: Option<i64>,
        locked: Option<bool>,
    },
    CreateGrid {
        code: Option<String>,
        name: Option<String>,
    },
    Move {
        unit: usize,
        to: usize,
    },
    Unassign {
        unit: usize,
    },
    DeleteGrid {
        grid: usize,
        move_to: Option<usize>,
    },
    MergeGrids {
        into: usize,
        from: usize,
    },
    SplitGrid {
        grid: usize,
    },
    /// A new grid (`create_grid` with this code and name) that takes over the `grid`-th grid's
    /// units (`delete_grid` moving them to it): the plan stays valid with the new name.
    ReplaceGrid {
        grid: usize,
        code: String,
        name: Option<String>,
    },
}

/// Characters strings are built of: CJK, Latin, precomposed and combining accents, an emoji
/// outside the BMP, Hebrew (right to left) and a right-to-left mark. None is whitespace.
const PALETTE: &[char] = &[
    '网', '格', 'a', 'Z', 'é', '\u{301}', '😀', 'א', '\u{200F}', 'ß', '7', '名',
];

/// Odd texts, each with its own trap.
const ODD_TEXTS: &[&str] = &[
    "  前后空格  ",
    "\u{3000}全角空格\u{3000}",
    "nul\u{0}byte",
    "line\nbreak",
    "tab\tinside",
    "del\u{7f}",
    "next\u{85}line",
    "\u{202E}override RTL\u{202C}",
    "e\u{301}\u{301}\u{301}\u{301}",
    "👨\u{200D}👩\u{200D}👧\u{200D}👦",
    "\u{FEFF}",
    "\u{FFFF}\u{FFFE}",
    "\u{2028}separator\u{2029}",
    "   ",
    "",
    "'; DROP TABLE grids; --",
    "%s%n%x",
    "\\u0000",
    "<script>alert(1)</script>",
    "𠀀𪚥",
];

/// A text of exactly `n` characters from the palette (no whitespace at either end).
pub fn text(rng: &mut ChaCha8Rng, n: usize) -> String {
    let start = rng.random_range(0..PALETTE.len());
    (0..n)
        .map(|i| PALETTE[(start + i) % PALETTE.len()])
        .collect()
}

/// A text around a limit: `max` ± 1, 1, empty, a few hundred, or an odd one.
fn text_near(rng: &mut ChaCha8Rng, max: usize, csv: bool) -> String {
    match rng.random_range(0..9) {
        0 | 1 => text(rng, max),
        2 => text(rng, max + 1),
        3 => text(rng, max.saturating_sub(1).max(1)),
        4 => text(rng, 1),
        5 => {
            let n = rng.random_range(1..=max);
            text(rng, n)
        }
        6 => text(rng, max * 3),
        _ if csv => {
            let n = rng.random_range(1..=max.min(20));
            text(rng, n)
        }
        _ => (*ODD_TEXTS.choose(rng).expect("texts")).to_owned(),
    }
}

fn int_near(rng: &mut ChaCha8Rng, min: i64, max: i64) -> Value {
    match rng.random_range(0..12) {
        0 => json!(min.saturating_sub(1)),
        1 => json!(min),
        2 => json!(max),
        3 => json!(max.saturating_add(1)),
        4 => json!(rng.random_range(min..=max.min(min + 1000))),
        5 => json!(2.5),
        6 => json!(min as f64 + 3.0),
        7 => json!("5"),
        8 => json!(u64::MAX),
        9 => json!(1e20),
        10 => json!(i64::MIN),
        _ => Value::Null,
    }
}

fn real_near(rng: &mut ChaCha8Rng, min: f64, max: f64) -> Value {
    match rng.random_range(0..9) {
        0 => json!(min - 1.0),
        1 => json!(min),
        2 => json!(max),
        3 => json!(max + 0.001),
        4 => json!(-0.0),
        5 => json!(1e-300),
        6 => json!(123.456),
        7 => json!("12"),
        _ => Value::Null,
    }
}

/// An extreme or odd value for a field (references get existing and missing targets).
fn value(rng: &mut ChaCha8Rng, def: &FieldDef, csv: bool) -> Value {
    match def.name {
        "community_code" => {
            return [
                json!(COMMUNITY),
                json!(COMMUNITY),
                json!("510504003099"),
                json!(510_504_003_006_u64),
                json!("51050400300"),
                json!("５１０５０４００３００６"),
                json!("510504001001"),
            ]
            .choose(rng)
            .cloned()
            .expect("codes")
        }
        "street_code" => {
            return [json!(STREET), json!("510504009"), json!("5105040031")]
                .choose(rng)
                .cloned()
                .expect("codes")
        }
        "grid_code" => {
            return match rng.random_range(0..4) {
                0 => Value::Null,
                1 => json!(format!("{COMMUNITY}{:03}", rng.random_range(1..=14))),
                2 => json!("no-such-grid"),
                _ => json!(text_near(rng, 40, csv)),
            }
        }
        "compound_id" | "station_id" => {
            return [
                json!(rng.random_range(1..160)),
                json!(rng.random_range(1..160)),
                json!(0),
                json!(-1),
                json!(i64::MAX),
                Value::Null,
            ]
            .choose(rng)
            .cloned()
            .expect("ids")
        }
        _ => {}
    }
    match def.kind {
        FieldKind::Text { max_chars } => json!(text_near(rng, max_chars, csv)),
        FieldKind::Integer { min, max } => int_near(rng, min, max),
        FieldKind::Real { min, max } => real_near(rng, min, max),
        FieldKind::Code { digits } => match rng.random_range(0..3) {
            0 => json!(text(rng, digits)),
            1 => json!("9".repeat(digits + 1)),
            _ => json!(format!("{:0digits$}", rng.random_range(0..1000))),
        },
        FieldKind::Boolean => [json!(true), json!(false), json!("true"), Value::Null]
            .choose(rng)
            .cloned()
            .expect("bools"),
        FieldKind::Enum(names) => match rng.random_range(0..6) {
            0 => json!(""),
            1 => json!(format!("{} ", names[0])),
            2 => json!(names[0].to_uppercase()),
            _ => json!(names.choose(rng).expect("names")),
        },
        FieldKind::EnumList(names) => match rng.random_range(0..6) {
            0 => json!([]),
            1 => json!([names[0], names[0]]),
            2 => json!(["nothing"]),
            3 => json!(names[0]),
            _ => json!(names
                .iter()
                .take(rng.random_range(1..=names.len()))
                .collect::<Vec<_>>()),
        },
    }
}

/// A fresh code for a layer with codes (streets, communities, grids), sometimes odd.
fn code(rng: &mut ChaCha8Rng, layer: Layer, csv: bool) -> Option<Value> {
    match layer {
        Layer::Streets => Some(json!(format!("51050{:04}", rng.random_range(0..10_000)))),
        Layer::Communities => Some(json!(format!("{STREET}{:03}", rng.random_range(0..1000)))),
        Layer::Grids => Some(match rng.random_range(0..4) {
            0 => json!(text_near(rng, 40, csv)),
            _ => json!(format!("{COMMUNITY}{:03}", rng.random_range(0..1000))),
        }),
        _ => None,
    }
}

/// Property overrides: a fresh code when creating, then a few fields set to odd values.
fn overrides(rng: &mut ChaCha8Rng, layer: Layer, creating: bool, csv: bool) -> Map<String, Value> {
    let mut set = Map::new();
    if creating && rng.random_bool(0.85) {
        if let Some(c) = code(rng, layer, csv) {
            set.insert("code".into(), c);
        }
    }
    let defs = schema::fields(layer);
    for _ in 0..rng.random_range(0..=2) {
        let def = defs.choose(rng).expect("fields");
        set.insert(def.name.into(), value(rng, def, csv));
    }
    if !csv && rng.random_bool(0.04) {
        set.insert("colour".into(), json!("red"));
    }
    set
}

fn geometry(rng: &mut ChaCha8Rng, csv: bool) -> Geom {
    let odd = [
        Geom::Null,
        Geom::Empty,
        Geom::Huge,
        Geom::Unclosed,
        Geom::BowTie,
        Geom::LineString,
        Geom::Point {
            lon: 180.0,
            lat: 90.0,
        },
        Geom::Point {
            lon: -180.0,
            lat: -90.0,
        },
        Geom::Point {
            lon: 180.000_000_1,
            lat: 0.0,
        },
        Geom::Point {
            lon: 0.0,
            lat: -90.5,
        },
    ];
    match rng.random_range(0..10) {
        0..=4 => Geom::Same,
        5 | 6 => Geom::Shift {
            micro: rng.random_range(-5..=5),
        },
        _ if csv => Geom::Same,
        _ => odd.choose(rng).cloned().expect("geometries"),
    }
}

fn layer(rng: &mut ChaCha8Rng) -> Layer {
    // Leaf layers more often: they can be written and deleted freely.
    const WEIGHTED: &[Layer] = &[
        Layer::Streets,
        Layer::Communities,
        Layer::Grids,
        Layer::Grids,
        Layer::Compounds,
        Layer::Compounds,
        Layer::Compounds,
        Layer::Buildings,
        Layer::Buildings,
        Layer::Buildings,
        Layer::Gates,
        Layer::Gates,
        Layer::Stations,
        Layer::Stations,
        Layer::ServiceSpaces,
        Layer::ServiceSpaces,
    ];
    *WEIGHTED.choose(rng).expect("layers")
}

fn who(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..10) {
        0 => "viewer".into(),
        1 | 2 => "planner".into(),
        _ => "admin".into(),
    }
}

fn grid_name(rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..9) {
        0 => text(rng, 100),
        1 => text(rng, 101),
        2 => text(rng, 150),
        3 => text(rng, 200),
        4 => text(rng, 201),
        5 => (*ODD_TEXTS.choose(rng).expect("texts")).to_owned(),
        _ => {
            let n = rng.random_range(1..20);
            text(rng, n)
        }
    }
}

fn op(rng: &mut ChaCha8Rng) -> Op {
    let pick = |rng: &mut ChaCha8Rng| rng.random_range(0..64);
    match rng.random_range(0..10) {
        0..=2 => Op::SetGrid {
            grid: pick(rng),
            name: rng.random_bool(0.8).then(|| grid_name(rng)),
            workers: rng
                .random_bool(0.4)
                .then(|| *[-1, 0, 1, 3, 100, 101].choose(rng).expect("workers")),
            locked: rng.random_bool(0.2).then(|| rng.random_bool(0.5)),
        },
        3 if rng.random_bool(0.5) => Op::ReplaceGrid {
            grid: pick(rng),
            code: format!("{COMMUNITY}{:03}", rng.random_range(100..1000)),
            name: rng.random_bool(0.9).then(|| grid_name(rng)),
        },
        3 => Op::CreateGrid {
            code: rng.random_bool(0.4).then(|| match rng.random_range(0..4) {
                0 => text(rng, 40),
                1 => text(rng, 41),
                2 => " x".into(),
                _ => format!("{COMMUNITY}{:03}", rng.random_range(0..1000)),
            }),
            name: rng.random_bool(0.7).then(|| grid_name(rng)),
        },
        4..=6 => Op::Move {
            unit: pick(rng),
            to: pick(rng),
        },
        7 => Op::Unassign { unit: pick(rng) },
        8 => Op::DeleteGrid {
            grid: pick(rng),
            move_to: rng.random_bool(0.7).then(|| pick(rng)),
        },
        _ => {
            if rng.random_bool(0.5) {
                Op::MergeGrids {
                    into: pick(rng),
                    from: pick(rng),
                }
            } else {
                Op::SplitGrid { grid: pick(rng) }
            }
        }
    }
}

fn import(rng: &mut ChaCha8Rng) -> Step {
    let csv = rng.random_bool(0.4);
    let l = layer(rng);
    let rows = (0..rng.random_range(1..=4))
        .map(|_| {
            let replace = rng.random_bool(0.4);
            Row {
                template: rng.random_range(0..1000),
                set: overrides(rng, l, !replace, csv),
                geometry: geometry(rng, csv),
                replace,
            }
        })
        .collect();
    Step::Import {
        layer: l.name().into(),
        csv,
        rows,
    }
}

fn account(rng: &mut ChaCha8Rng) -> Step {
    let name = match rng.random_range(0..8) {
        0 => "x".into(),
        1 => "a".repeat(64),
        2 => "a".repeat(65),
        3 => "名字".into(),
        4 => "with space".into(),
        _ => format!(
            "user{}.w@x-{}",
            rng.random_range(0..5),
            rng.random_range(0..3)
        ),
    };
    Step::AddAccount {
        name,
        role: (*["admin", "planner", "staff", "viewer"]
            .choose(rng)
            .expect("roles"))
        .into(),
        scope: (*[
            "district",
            "street:510504003",
            "community:510504003006",
            "community:510504003099",
        ]
        .choose(rng)
        .expect("scopes"))
        .into(),
        disabled: rng.random_bool(0.2),
        password: if rng.random_bool(0.15) {
            "short".into()
        } else {
            "correct horse battery staple".into()
        },
    }
}

/// A random step.
pub fn step(rng: &mut ChaCha8Rng) -> Step {
    let pick = |rng: &mut ChaCha8Rng| rng.random_range(0..1000);
    match rng.random_range(0..100) {
        0..=17 => {
            let l = layer(rng);
            Step::Create {
                layer: l.name().into(),
                template: pick(rng),
                set: overrides(rng, l, true, false),
                geometry: geometry(rng, false),
                who: who(rng),
            }
        }
        18..=35 => {
            let l = layer(rng);
            Step::Replace {
                layer: l.name().into(),
                target: pick(rng),
                set: overrides(rng, l, false, false),
                geometry: geometry(rng, false),
                stale: rng.random_bool(0.1),
                who: who(rng),
            }
        }
        36..=42 => Step::Delete {
            layer: layer(rng).name().into(),
            target: pick(rng),
            stale: rng.random_bool(0.1),
            who: who(rng),
        },
        43..=46 => import(rng),
        47..=49 => account(rng),
        50..=51 => Step::SignIn {
            name: format!(
                "user{}.w@x-{}",
                rng.random_range(0..5),
                rng.random_range(0..3)
            ),
        },
        52..=58 => Step::CreateDraft {
            community: if rng.random_bool(0.9) {
                COMMUNITY.into()
            } else {
                (*["510504003099", "5105", "510504001001"]
                    .choose(rng)
                    .expect("codes"))
                .into()
            },
            name: rng.random_bool(0.6).then(|| grid_name(rng)),
            who: who(rng),
        },
        59..=74 => Step::Operate {
            draft: pick(rng),
            ops: (0..rng.random_range(1..=3)).map(|_| op(rng)).collect(),
            stale: rng.random_bool(0.08),
            who: who(rng),
        },
        75..=77 => Step::RenameDraft {
            draft: pick(rng),
            name: grid_name(rng),
            stale: rng.random_bool(0.1),
        },
        78 => Step::Propose {
            draft: pick(rng),
            seed: rng.random_range(1..100),
            accept: rng.random_bool(0.6),
        },
        79..=80 => Step::DeleteDraft {
            draft: pick(rng),
            stale: rng.random_bool(0.2),
        },
        81..=91 => Step::Publish {
            draft: pick(rng),
            stale: rng.random_bool(0.08),
            who: who(rng),
        },
        _ => Step::Restart,
    }
}

/// A `draft` pick at or above this counts from the newest draft (`NEWEST` is the newest).
pub const NEWEST: usize = 1_000_000;

/// A planner's whole errand: a new draft, an edit giving a grid an odd or long name (in place,
/// or as a new grid taking over an old one's units), the publication, sometimes a restart.
fn errand(rng: &mut ChaCha8Rng) -> Vec<Step> {
    let name = if rng.random_bool(0.5) {
        (*ODD_TEXTS.choose(rng).expect("texts")).to_owned()
    } else {
        grid_name(rng)
    };
    let grid = rng.random_range(0..64);
    let op = if rng.random_bool(0.5) {
        Op::SetGrid {
            grid,
            name: Some(name),
            workers: None,
            locked: None,
        }
    } else {
        Op::ReplaceGrid {
            grid,
            code: format!("{COMMUNITY}{:03}", rng.random_range(100..1000)),
            name: Some(name),
        }
    };
    let who = if rng.random_bool(0.5) {
        "planner"
    } else {
        "admin"
    };
    let mut steps = vec![
        Step::CreateDraft {
            community: COMMUNITY.into(),
            name: None,
            who: who.into(),
        },
        Step::Operate {
            draft: NEWEST,
            ops: vec![op],
            stale: false,
            who: who.into(),
        },
        Step::Publish {
            draft: NEWEST,
            stale: false,
            who: who.into(),
        },
    ];
    if rng.random_bool(0.5) {
        steps.push(Step::Restart);
    }
    steps
}

/// The sequence of a seed: random steps, and now and then a planner's errand.
pub fn sequence(seed: u64, len: usize) -> Vec<Step> {
    use rand::SeedableRng;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut steps = Vec::with_capacity(len + 4);
    while steps.len() < len {
        if rng.random_bool(0.08) {
            steps.extend(errand(&mut rng));
        } else {
            steps.push(step(&mut rng));
        }
    }
    steps
}
