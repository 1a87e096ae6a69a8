//! Visits 走访 and errands 代办 recorded by grid workers on household units, and the monthly
//! counts held against the visiting quota (高县: at least 200 households a month per worker).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{
    date_problem, parse_date, photo_problem, position_problem, text_problem, GridWorker, Location,
};
use crate::model::{domain_enum, DomainEnum, EnumValue};
use crate::reason::Reason;
use crate::{Problem, Snapshot};

/// Households a comprehensive grid worker visits a month at least, unless configured.
pub const DEFAULT_MONTHLY_QUOTA: u32 = 200;

domain_enum!(
    /// What a grid worker did at a household unit.
    VisitKind = "visit_kind" {
        Visit = "visit" / "入户走访" / "Household visit",
        Errand = "errand" / "代办服务" / "Errand run for residents",
    }
);

/// A household unit: a compound, a building, or one household (its number, e.g. `2-301`) in a
/// building.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdUnit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compound_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_id: Option<i64>,
    /// A household's number within the building (门牌/房号).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household: Option<String>,
}

impl HouseholdUnit {
    fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.compound_id.is_none() && self.building_id.is_none() {
            out.push(Problem::because(
                "unit",
                Reason::new(
                    "name a compound (compound_id) or a building (building_id)",
                    "请指明小区（compound_id）或楼栋（building_id）",
                ),
            ));
        }
        if let Some(h) = &self.household {
            if self.building_id.is_none() {
                out.push(Problem::because(
                    "unit.household",
                    Reason::new(
                        "a household number needs its building (building_id)",
                        "户号须指明所在楼栋（building_id）",
                    ),
                ));
            }
            out.extend(text_problem("unit.household", "户号", h, 20));
        }
        out
    }

    /// The community and grid of the building (else the compound) named.
    pub fn locate(&self, snapshot: &Snapshot) -> Result<Location, Vec<Problem>> {
        if let Some(id) = self.building_id {
            let Some(b) = snapshot.building(id) else {
                return Err(vec![missing("unit.building_id", "building", "楼栋", id)]);
            };
            if self.compound_id.is_some_and(|c| b.compound_id != Some(c)) {
                return Err(vec![Problem::because(
                    "unit.compound_id",
                    Reason::new(
                        format!(
                            "building {id} is not in compound {}",
                            self.compound_id.unwrap_or_default()
                        ),
                        format!(
                            "楼栋 {id} 不在小区 {} 内",
                            self.compound_id.unwrap_or_default()
                        ),
                    ),
                )]);
            }
            // A building in a compound lies in the compound's grid.
            let grid = b.grid_code.clone().or_else(|| {
                let c = b.compound_id?;
                snapshot.compound(c)?.grid_code.clone()
            });
            return Ok(Location {
                community_code: b.community_code.to_string(),
                grid_code: grid.map(String::from),
            });
        }
        let id = self.compound_id.unwrap_or_default();
        let Some(c) = snapshot.compound(id) else {
            return Err(vec![missing("unit.compound_id", "compound", "小区", id)]);
        };
        Ok(Location {
            community_code: c.community_code.to_string(),
            grid_code: c.grid_code.as_deref().map(str::to_owned),
        })
    }

    /// The key a household is counted once a month by (building and number).
    fn household_key(&self) -> Option<(i64, &str)> {
        Some((self.building_id?, self.household.as_deref()?))
    }
}

fn missing(field: &str, what: &str, zh: &str, id: i64) -> Problem {
    Problem::because(
        field,
        Reason::new(format!("no {what} {id}"), format!("没有编号为 {id} 的{zh}")),
    )
}

/// A visit or errand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    /// The grid worker (record id).
    pub worker_id: i64,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub kind: VisitKind,
    pub unit: HouseholdUnit,
    /// Households met in this visit (1 for one household; more for a building visited door to
    /// door).
    #[serde(default = "one")]
    pub households: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Needs raised in this visit (record ids).
    #[serde(default)]
    pub needs: Vec<i64>,
    /// The phone's own id for the record, so a visit sent twice after a lost connection is
    /// kept once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Where the worker stood, `[lon, lat]` (WGS84).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    /// A photo taken there (a data URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

fn one() -> u32 {
    1
}

impl Visit {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = date_problem("date", "日期", &self.date)
            .into_iter()
            .collect();
        out.extend(self.unit.problems());
        if self.households == 0 || self.households > 500 {
            out.push(Problem::because(
                "households",
                Reason::new("households must be 1–500", "走访户数须为 1–500"),
            ));
        }
        if self.unit.household.is_some() && self.households != 1 {
            out.push(Problem::because(
                "households",
                Reason::new(
                    "a visit to one household meets 1 household",
                    "走访单户时户数应为 1",
                ),
            ));
        }
        out.extend(self.notes.as_deref().and_then(|n| {
            (n.chars().count() > 2000).then(|| {
                Problem::because(
                    "notes",
                    Reason::new("notes are at most 2000 characters", "备注最多 2000 字"),
                )
            })
        }));
        out.extend(
            self.client_id
                .as_deref()
                .and_then(|c| text_problem("client_id", "客户端编号", c, 64)),
        );
        out.extend(position_problem(self.position));
        out.extend(self.photo.as_deref().and_then(photo_problem));
        out
    }

    /// The visit's date.
    pub fn day(&self) -> Option<NaiveDate> {
        parse_date(&self.date)
    }
}

/// One worker's month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerMonth {
    pub worker_id: i64,
    pub name: String,
    pub grids: Vec<String>,
    /// Household visits recorded (records of kind `visit`).
    pub visits: u32,
    /// Errands recorded.
    pub errands: u32,
    /// Households visited: each numbered household once, plus the households met in visits
    /// to a whole building or compound.
    pub households: u32,
    pub quota: u32,
    pub quota_met: bool,
}

/// The month `YYYY-MM` as its first day.
pub fn parse_month(month: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()
}

/// Each worker's counts for the month starting at `month` (its first day), every worker
/// listed even with no visit.
pub fn monthly(
    workers: &[(i64, GridWorker)],
    visits: &[Visit],
    month: NaiveDate,
    quota: u32,
) -> Vec<WorkerMonth> {
    let in_month = |d: NaiveDate| d.year() == month.year() && d.month() == month.month();
    let mut counts: HashMap<i64, (u32, u32, u32, BTreeSet<(i64, &str)>)> = HashMap::new();
    for v in visits {
        if !v.day().is_some_and(in_month) {
            continue;
        }
        let c = counts.entry(v.worker_id).or_default();
        match v.kind {
            VisitKind::Errand => c.1 += 1,
            VisitKind::Visit => {
                c.0 += 1;
                match v.unit.household_key() {
                    Some(k) => {
                        c.3.insert(k);
                    }
                    None => c.2 += v.households,
                }
            }
        }
    }
    workers
        .iter()
        .map(|(id, w)| {
            let (visits, errands, met, numbered) = counts.remove(id).unwrap_or_default();
            let households = met + numbered.len() as u32;
            WorkerMonth {
                worker_id: *id,
                name: w.name.clone(),
                grids: w.grids.clone(),
                visits,
                errands,
                households,
                quota,
                quota_met: households >= quota,
            }
        })
        .collect()
}

/// The day each unit (compound or building) was last visited: a building's visit counts for
/// its compound too.
pub fn last_visits(
    visits: &[Visit],
    snapshot: &Snapshot,
) -> BTreeMap<(&'static str, i64), NaiveDate> {
    let mut out: BTreeMap<(&'static str, i64), NaiveDate> = BTreeMap::new();
    let mut note = |key: (&'static str, i64), d: NaiveDate| {
        let e = out.entry(key).or_insert(d);
        *e = (*e).max(d);
    };
    for v in visits {
        let Some(d) = v.day() else { continue };
        if let Some(b) = v.unit.building_id {
            note(("buildings", b), d);
            if let Some(c) = snapshot.building(b).and_then(|x| x.compound_id) {
                note(("compounds", c), d);
            }
        } else if let Some(c) = v.unit.compound_id {
            note(("compounds", c), d);
        }
    }
    out
}

/// One grid's month of visiting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridMonth {
    pub grid_code: String,
    /// Grid workers serving the grid (a worker of several grids counts in each).
    pub workers: u32,
    /// Households visited (a worker's households shared equally among their grids).
    pub households_visited: f64,
    /// Households the workers are to visit: their quota, shared the same way.
    pub quota: f64,
}

/// Each grid's visiting in the month of `rows` (from [`monthly`]), the grids in code order.
pub fn per_grid(rows: &[WorkerMonth]) -> Vec<GridMonth> {
    let mut out: BTreeMap<&str, GridMonth> = BTreeMap::new();
    for r in rows {
        let share = 1.0 / r.grids.len().max(1) as f64;
        for g in &r.grids {
            let e = out.entry(g).or_insert_with(|| GridMonth {
                grid_code: g.clone(),
                workers: 0,
                households_visited: 0.0,
                quota: 0.0,
            });
            e.workers += 1;
            e.households_visited += f64::from(r.households) * share;
            e.quota += f64::from(r.quota) * share;
        }
    }
    out.into_values().collect()
}
