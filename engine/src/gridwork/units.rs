//! The lower levels of a grid and its joint management: building heads 楼栋长 looking after a
//! building or compound, residents' groups 居民小组 as lists of a community's compounds, and
//! joint-management units 连片物业 putting adjacent compounds under one company.

use serde::{Deserialize, Serialize};

use super::{community_of, date_problem, phone_problem, text_problem, HouseholdUnit, Location};
use crate::reason::Reason;
use crate::{Problem, Snapshot};

/// A building head 楼栋长.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildingHead {
    pub name: String,
    pub phone: String,
    /// The building (or the compound) looked after.
    pub unit: HouseholdUnit,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

impl BuildingHead {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("name", "姓名", &self.name, 50),
            phone_problem("phone", &self.phone),
            self.since
                .as_deref()
                .and_then(|d| date_problem("since", "任职日期", d)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.unit.household.is_some() {
            out.push(Problem::because(
                "unit.household",
                Reason::new(
                    "a building head looks after a building or a compound, not one household",
                    "楼栋长负责楼栋或小区，不是单户",
                ),
            ));
        }
        out
    }
}

/// A residents' group 居民小组: compounds of one community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidentsGroup {
    pub name: String,
    pub community_code: String,
    pub compounds: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl ResidentsGroup {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        [
            text_problem("name", "名称", &self.name, 50),
            self.leader
                .as_deref()
                .and_then(|l| text_problem("leader", "组长", l, 50)),
            self.phone
                .as_deref()
                .and_then(|p| phone_problem("phone", p)),
            none_listed(&self.compounds),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A joint-management unit 连片物业单元: adjacent compounds managed together by one company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointUnit {
    pub name: String,
    pub compounds: Vec<i64>,
    /// The operating company (an organisation record).
    pub organisation_id: i64,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// Fee in yuan per m² and month.
    pub fee_per_m2: f64,
    /// The service standard agreed (四星级物业标准 …).
    pub service_standard: String,
    /// Staff stationed.
    pub staff: u32,
    /// The duties list 职责清单.
    #[serde(default)]
    pub duties: Vec<String>,
}

impl JointUnit {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("name", "名称", &self.name, 100),
            date_problem("start_date", "开始日期", &self.start_date),
            text_problem("service_standard", "服务标准", &self.service_standard, 200),
            none_listed(&self.compounds),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.compounds.len() < 2 {
            out.push(Problem::because(
                "compounds",
                Reason::new(
                    "a joint-management unit joins at least two compounds",
                    "连片物业单元至少包括两个小区",
                ),
            ));
        }
        if !(self.fee_per_m2.is_finite() && (0.0..=20.0).contains(&self.fee_per_m2)) {
            out.push(Problem::because(
                "fee_per_m2",
                Reason::new(
                    "fee_per_m2 must be 0–20 yuan per m² and month",
                    "物业费须为每月每平方米 0–20 元",
                ),
            ));
        }
        for d in &self.duties {
            out.extend(text_problem("duties", "职责", d, 200));
        }
        out
    }
}

fn none_listed(compounds: &[i64]) -> Option<Problem> {
    compounds.is_empty().then(|| {
        Problem::because(
            "compounds",
            Reason::new("list at least one compound", "请至少列出一个小区"),
        )
    })
}

/// The community of `compounds` (all must exist and share it; a `named` community must be it).
pub(crate) fn compounds_location(
    snapshot: &Snapshot,
    compounds: &[i64],
    named: Option<&str>,
) -> Result<Location, Vec<Problem>> {
    let mut community: Option<&str> = named;
    for id in compounds {
        let Some(c) = snapshot.compound(*id) else {
            return Err(vec![Problem::because(
                "compounds",
                Reason::new(
                    format!("no compound {id}"),
                    format!("没有编号为 {id} 的小区"),
                ),
            )]);
        };
        match community {
            Some(x) if x != c.community_code => {
                return Err(vec![Problem::because(
                    "compounds",
                    Reason::new(
                        format!(
                            "compound {id} lies in community {}, not {x}",
                            c.community_code
                        ),
                        format!("小区 {id} 属于社区 {}，不属于 {x}", c.community_code),
                    ),
                )])
            }
            _ => community = Some(&c.community_code),
        }
    }
    community_of(snapshot, community.unwrap_or_default(), None)
}

/// A compound listed by `compounds` that another record of the same kind already lists
/// (`others`: their ids and compounds): a compound is in one residents' group, one joint unit.
pub fn already_listed(
    compounds: &[i64],
    others: &[(i64, Vec<i64>)],
    what: (&str, &str),
) -> Option<Problem> {
    others.iter().find_map(|(id, theirs)| {
        let shared = compounds.iter().find(|c| theirs.contains(c))?;
        Some(Problem::because(
            "compounds",
            Reason::new(
                format!("compound {shared} is already in {} {id}", what.0),
                format!("小区 {shared} 已属于{} {id}", what.1),
            ),
        ))
    })
}
