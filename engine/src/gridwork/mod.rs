//! Grid work 网格工作: the people and organisations of a grid, grid workers' visits and errands,
//! and the needs list 需求清单 with its claims. Records are kept beside the features, not in the
//! snapshot: each has an id, a version and a typed body, and lies in a community (and a grid),
//! which decides who sees and changes it ([`crate::access`]). Where a record names a compound or a
//! building, the unit decides its community and grid, as for imported features.

pub mod board;
pub mod map;
pub mod needs;
pub mod people;
pub mod resources;
pub mod units;
pub mod visits;

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{Denied, Place, Role, Scope};
use crate::model::{domain_enum, DomainEnum, EnumValue};
use crate::reason::{quoted, Reason};
use crate::{Problem, Snapshot};

pub use needs::{Acting, Need, NeedAction, NeedCategory, NeedStatus};
pub use people::{GridWorker, MergedRole, Organisation, OrganisationKind};
pub use resources::{Project, Resource};
pub use units::{BuildingHead, JointUnit, ResidentsGroup};
pub use visits::{HouseholdUnit, Visit, VisitKind};

domain_enum!(
    /// Kind of grid-work record.
    WorkKind = "work_kind" {
        GridWorker = "grid_workers" / "网格员" / "Grid workers",
        Organisation = "organisations" / "组织" / "Organisations",
        Visit = "visits" / "走访与代办" / "Visits and errands",
        Need = "needs" / "需求清单" / "Needs",
        BuildingHead = "building_heads" / "楼栋长" / "Building heads",
        ResidentsGroup = "residents_groups" / "居民小组" / "Residents' groups",
        JointUnit = "joint_units" / "连片物业单元" / "Joint-management units",
        Resource = "resources" / "资源清单" / "Resources",
        Project = "projects" / "服务清单" / "Service projects",
    }
);

/// The enums of grid work, with their labels, for clients (`GET /api/enums` serves them with
/// the layers' enums).
pub const ENUMS: &[DomainEnum] = &[
    WorkKind::TABLE,
    people::MergedRole::TABLE,
    people::OrganisationKind::TABLE,
    visits::VisitKind::TABLE,
    needs::NeedStatus::TABLE,
    needs::NeedCategory::TABLE,
];

/// A record's body, typed by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    GridWorker(GridWorker),
    Organisation(Organisation),
    Visit(Visit),
    Need(Need),
    BuildingHead(BuildingHead),
    ResidentsGroup(ResidentsGroup),
    JointUnit(JointUnit),
    Resource(Resource),
    Project(Project),
}

/// Where a record lies: its community and, for grid work, its grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub community_code: String,
    pub grid_code: Option<String>,
}

impl Location {
    /// The place the scope check reads.
    pub fn place(&self) -> Place<'_> {
        Place::in_grid(&self.community_code, self.grid_code.as_deref())
    }
}

impl Body {
    /// Reads and checks a body of `kind` sent by a client or read from a store: every problem
    /// names its field.
    pub fn parse(kind: WorkKind, value: &Value) -> Result<Body, Vec<Problem>> {
        match kind {
            WorkKind::GridWorker => typed(value).map(Body::GridWorker),
            WorkKind::Organisation => typed(value).map(Body::Organisation),
            WorkKind::Visit => typed(value).map(Body::Visit),
            WorkKind::Need => typed(value).map(Body::Need),
            WorkKind::BuildingHead => typed(value).map(Body::BuildingHead),
            WorkKind::ResidentsGroup => typed(value).map(Body::ResidentsGroup),
            WorkKind::JointUnit => typed(value).map(Body::JointUnit),
            WorkKind::Resource => typed(value).map(Body::Resource),
            WorkKind::Project => typed(value).map(Body::Project),
        }
        .and_then(|b| {
            let problems = b.problems();
            if problems.is_empty() {
                Ok(b)
            } else {
                Err(problems)
            }
        })
    }

    pub fn kind(&self) -> WorkKind {
        match self {
            Body::GridWorker(_) => WorkKind::GridWorker,
            Body::Organisation(_) => WorkKind::Organisation,
            Body::Visit(_) => WorkKind::Visit,
            Body::Need(_) => WorkKind::Need,
            Body::BuildingHead(_) => WorkKind::BuildingHead,
            Body::ResidentsGroup(_) => WorkKind::ResidentsGroup,
            Body::JointUnit(_) => WorkKind::JointUnit,
            Body::Resource(_) => WorkKind::Resource,
            Body::Project(_) => WorkKind::Project,
        }
    }

    /// The body as stored and served.
    pub fn to_value(&self) -> Value {
        let v = match self {
            Body::GridWorker(b) => serde_json::to_value(b),
            Body::Organisation(b) => serde_json::to_value(b),
            Body::Visit(b) => serde_json::to_value(b),
            Body::Need(b) => serde_json::to_value(b),
            Body::BuildingHead(b) => serde_json::to_value(b),
            Body::ResidentsGroup(b) => serde_json::to_value(b),
            Body::JointUnit(b) => serde_json::to_value(b),
            Body::Resource(b) => serde_json::to_value(b),
            Body::Project(b) => serde_json::to_value(b),
        };
        v.unwrap_or(Value::Null)
    }

    fn problems(&self) -> Vec<Problem> {
        match self {
            Body::GridWorker(b) => b.problems(),
            Body::Organisation(b) => b.problems(),
            Body::Visit(b) => b.problems(),
            Body::Need(b) => b.problems(),
            Body::BuildingHead(b) => b.problems(),
            Body::ResidentsGroup(b) => b.problems(),
            Body::JointUnit(b) => b.problems(),
            Body::Resource(b) => b.problems(),
            Body::Project(b) => b.problems(),
        }
    }

    /// Checks a body sent as a new record: a need starts open, and is claimed only through its
    /// steps ([`Need::apply`]).
    pub fn check_new(&self) -> Result<(), Problem> {
        match self {
            Body::Need(n) if n.status != NeedStatus::Open || n.organisation_id.is_some() => {
                Err(Problem::because(
                    "status",
                    Reason::new(
                        "a new need is open: it is claimed through its actions",
                        "新需求应为待认领：认领须通过需求的操作进行",
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The body replacing `stored`, keeping what only a need's steps change: its status, claim
    /// and outcome.
    #[must_use]
    pub fn keeping_steps_of(self, stored: &Value) -> Body {
        match (self, serde_json::from_value::<Need>(stored.clone())) {
            (Body::Need(n), Ok(old)) => Body::Need(Need {
                status: old.status,
                organisation_id: old.organisation_id,
                claimed_on: old.claimed_on,
                done_on: old.done_on,
                closed_reason: old.closed_reason,
                people_reached: old.people_reached,
                hours: old.hours,
                ..n
            }),
            (other, _) => other,
        }
    }

    /// The organisation a resource or a project is in the name of.
    pub fn owner(&self) -> Option<i64> {
        match self {
            Body::Resource(r) => Some(r.organisation_id),
            Body::Project(p) => Some(p.organisation_id),
            _ => None,
        }
    }

    /// The record's status, for lists and counts (a need's; none for other kinds).
    pub fn status(&self) -> Option<&'static str> {
        match self {
            Body::Need(n) => Some(n.status.name()),
            _ => None,
        }
    }

    /// Where the record lies in `snapshot`: the unit it names decides (its community and
    /// grid); else the grids or community it names, which must exist.
    pub fn locate(&self, snapshot: &Snapshot) -> Result<Location, Vec<Problem>> {
        match self {
            Body::GridWorker(w) => w.locate(snapshot),
            Body::Organisation(o) => o.locate(snapshot),
            Body::BuildingHead(h) => h.unit.locate(snapshot),
            Body::ResidentsGroup(g) => {
                units::compounds_location(snapshot, &g.compounds, Some(&g.community_code))
            }
            Body::JointUnit(j) => units::compounds_location(snapshot, &j.compounds, None),
            Body::Resource(r) => match &r.unit {
                Some(u) => u.locate(snapshot),
                None => community_of(snapshot, &r.community_code, None),
            },
            Body::Project(p) => community_of(snapshot, &p.community_code, p.grid_code.as_deref()),
            Body::Visit(v) => v.unit.locate(snapshot),
            Body::Need(n) => match &n.unit {
                Some(u) => {
                    let at = u.locate(snapshot)?;
                    let named_elsewhere = (!n.community_code.is_empty()
                        && n.community_code != at.community_code)
                        || (n.grid_code.is_some() && n.grid_code != at.grid_code);
                    if named_elsewhere {
                        return Err(vec![Problem::because(
                            "community_code",
                            Reason::new(
                                format!(
                                    "the unit lies in community {} grid {}, not where the need says",
                                    at.community_code,
                                    at.grid_code.as_deref().unwrap_or("-")
                                ),
                                format!(
                                    "该单元位于社区 {} 网格 {}，与需求所填不符",
                                    at.community_code,
                                    at.grid_code.as_deref().unwrap_or("-")
                                ),
                            ),
                        )]);
                    }
                    Ok(at)
                }
                None => community_of(snapshot, &n.community_code, n.grid_code.as_deref()),
            },
        }
    }

    /// The body with the location written into it where it keeps one (a need's community and
    /// grid, as its unit decides).
    #[must_use]
    pub fn settled(self, at: &Location) -> Body {
        match self {
            Body::Need(mut n) => {
                n.community_code.clone_from(&at.community_code);
                n.grid_code.clone_from(&at.grid_code);
                Body::Need(n)
            }
            other => other,
        }
    }
}

/// Checks that `who` may create or change a record of `kind` lying `at` (`owner`: the
/// organisation a resource or project names): visits and needs by staff (a grid worker inside
/// their grids), the people, groups, organisations, joint units, resources and projects by a
/// community's staff and planners (building heads also by the grid worker of their building),
/// resources and projects also by an organisation in its own name, everything by admins;
/// viewers record nothing (an organisation acts on needs through [`Need::apply`]).
pub fn may_record(
    who: &Acting<'_>,
    kind: WorkKind,
    at: &Location,
    owner: Option<i64>,
) -> Result<(), Denied> {
    let records = match who.role {
        Role::Admin | Role::Staff => true,
        Role::Planner => !matches!(kind, WorkKind::Visit | WorkKind::Need),
        Role::Organisation => {
            matches!(kind, WorkKind::Resource | WorkKind::Project)
                && owner.is_some()
                && owner == who.organisation_id
        }
        Role::Viewer => false,
    };
    if !records {
        return Err(Denied::Record {
            role: who.role,
            what: kind.label_en(),
        });
    }
    at.place().check_within(who.scope)
}

/// Whether `role` within `scope` reads records of `kind` lying `at`: the scope must cover it;
/// an organisation reads only needs, organisations, resources and projects.
pub fn may_read(role: Role, scope: &Scope, kind: WorkKind, at: &Location) -> bool {
    let kind_ok = role != Role::Organisation
        || matches!(
            kind,
            WorkKind::Need | WorkKind::Organisation | WorkKind::Resource | WorkKind::Project
        );
    kind_ok && at.place().within(scope)
}

/// Whether the caller reads the stored record `body` of `kind` lying `at`: as [`may_read`];
/// besides, a grid worker's account reads the workers serving its grids, and an organisation
/// (`organisation`: the one its account acts for) only open needs and its own claims.
pub fn may_read_record(
    role: Role,
    scope: &Scope,
    organisation: Option<i64>,
    kind: WorkKind,
    at: &Location,
    body: &Value,
) -> bool {
    match (kind, scope) {
        (WorkKind::GridWorker, Scope::Grid(mine)) if role != Role::Organisation => body["grids"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| mine.iter().any(|m| g == m.as_str()))),
        (WorkKind::Need, _) if role == Role::Organisation => {
            may_read(role, scope, kind, at)
                && serde_json::from_value::<Need>(body.clone())
                    .is_ok_and(|n| n.visible_to(organisation))
        }
        _ => may_read(role, scope, kind, at),
    }
}

/// A body of type `T`: serde's refusal told with the field it names.
fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, Vec<Problem>> {
    serde_json::from_value(value.clone()).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split('`')
            .nth(1)
            .filter(|_| text.contains("field"))
            .unwrap_or("json")
            .to_owned();
        vec![Problem::because(
            &field,
            Reason::new(
                format!("not a valid record: {text}"),
                format!("记录格式不正确：{text}"),
            ),
        )]
    })
}

/// The community `code` (and its grid `grid`) as a location, if they exist.
pub(crate) fn community_of(
    snapshot: &Snapshot,
    code: &str,
    grid: Option<&str>,
) -> Result<Location, Vec<Problem>> {
    if snapshot.community(code).is_none() {
        return Err(vec![Problem::because(
            "community_code",
            Reason::new(
                format!("no community {code}"),
                format!("没有编码为 {code} 的社区"),
            ),
        )]);
    }
    if let Some(g) = grid {
        match snapshot.grid(g) {
            Some(x) if x.community_code == code => {}
            Some(x) => {
                return Err(vec![Problem::because(
                    "grid_code",
                    Reason::new(
                        format!(
                            "grid {g} lies in community {}, not {code}",
                            x.community_code
                        ),
                        format!("网格 {g} 属于社区 {}，不属于 {code}", x.community_code),
                    ),
                )])
            }
            None => {
                return Err(vec![Problem::because(
                    "grid_code",
                    Reason::new(format!("no grid {g}"), format!("没有编码为 {g} 的网格")),
                )])
            }
        }
    }
    Ok(Location {
        community_code: code.to_owned(),
        grid_code: grid.map(str::to_owned),
    })
}

/// A required text of 1 to `max` characters.
pub(crate) fn text_problem(field: &str, label: &str, value: &str, max: usize) -> Option<Problem> {
    let n = value.trim().chars().count();
    (n == 0 || n > max).then(|| {
        Problem::because(
            field,
            Reason::new(
                format!("{field} must be 1–{max} characters"),
                format!("{label}须为 1–{max} 个字"),
            ),
        )
    })
}

/// A date written `YYYY-MM-DD`.
pub(crate) fn date_problem(field: &str, label: &str, value: &str) -> Option<Problem> {
    parse_date(value).is_none().then(|| {
        Problem::because(
            field,
            Reason::new(
                format!("{field}: \"{value}\" is not a date (YYYY-MM-DD)"),
                format!("{label}{} 不是日期（应为 YYYY-MM-DD）", quoted(value)),
            ),
        )
    })
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

/// Longest photo kept with a record, as a data URL (about 450 KB of image).
pub const MAX_PHOTO_CHARS: usize = 600_000;

/// A photo taken on the phone: a JPEG, PNG or WebP data URL of at most [`MAX_PHOTO_CHARS`].
pub(crate) fn photo_problem(value: &str) -> Option<Problem> {
    // Each type's data URL prefix and the base64 of its file signature (FF D8 FF; 89 P N G;
    // R I F F), so that the bytes are the image the URL says.
    let image = [
        ("data:image/jpeg;base64,", "/9j/"),
        ("data:image/png;base64,", "iVBORw0KGgo"),
        ("data:image/webp;base64,", "UklGR"),
    ]
    .iter()
    .find_map(|(p, magic)| value.strip_prefix(p).filter(|b| b.starts_with(magic)));
    let fine = image.is_some_and(|b64| {
        value.len() <= MAX_PHOTO_CHARS
            && b64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    });
    (!fine).then(|| {
        Problem::because(
            "photo",
            Reason::new(
                format!("photo must be a JPEG, PNG or WebP data URL of at most {MAX_PHOTO_CHARS} characters"),
                format!("照片须为 JPEG、PNG 或 WebP 图片（data URL，不超过 {MAX_PHOTO_CHARS} 个字符）"),
            ),
        )
    })
}

/// A visit, need or project dated after `today` (a day's grace for the time zones): refused,
/// naming the field.
pub fn future_date_problem(body: &Body, today: chrono::NaiveDate) -> Option<Problem> {
    let (field, label, date) = match body {
        Body::Visit(v) => ("date", "日期", &v.date),
        Body::Need(n) => ("raised_on", "提出日期", &n.raised_on),
        Body::Project(p) => ("date", "日期", &p.date),
        _ => return None,
    };
    let day = parse_date(date)?;
    (day > today + chrono::Days::new(1)).then(|| {
        Problem::because(
            field,
            Reason::new(
                format!("{field}: {date} is in the future"),
                format!("{label} {date} 晚于今天"),
            ),
        )
    })
}

/// A position `[lon, lat]` in degrees.
pub(crate) fn position_problem(position: Option<[f64; 2]>) -> Option<Problem> {
    let [lon, lat] = position?;
    let fine = lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat);
    (!fine).then(|| {
        Problem::because(
            "position",
            Reason::new(
                "position must be [longitude, latitude] in degrees",
                "位置须为 [经度, 纬度]",
            ),
        )
    })
}

/// A mainland phone number: 11 digits starting with 1, or a fixed line (digits and one `-`).
pub(crate) fn phone_problem(field: &str, value: &str) -> Option<Problem> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let fine = value.chars().all(|c| c.is_ascii_digit() || c == '-')
        && value.matches('-').count() <= 1
        && (7..=12).contains(&digits);
    (!fine).then(|| {
        Problem::because(
            field,
            Reason::new(
                format!("{field}: \"{value}\" is not a phone number"),
                format!("电话{} 不是电话号码", quoted(value)),
            ),
        )
    })
}

/// A phone number as viewers see it: the first three and last four digits (`138****5678`).
pub fn masked_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}
