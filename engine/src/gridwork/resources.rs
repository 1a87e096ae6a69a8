//! The resources list 资源清单 — what an organisation offers, where and when — and the services
//! list 服务清单: service projects putting a claimed need or a resource to work, with the people
//! reached and the hours spent.

use serde::{Deserialize, Serialize};

use super::{date_problem, parse_date, text_problem, HouseholdUnit, NeedCategory};
use crate::model::ServiceType;
use crate::reason::Reason;
use crate::Problem;

/// A resource 资源: what an organisation offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The organisation offering it (record id).
    pub organisation_id: i64,
    pub title: String,
    /// The needs it answers.
    pub category: NeedCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceType>,
    pub community_code: String,
    /// Where, when it is at a unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<HouseholdUnit>,
    /// Where, in words (an address, a room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// When, in words (每周二上午 …).
    pub available: String,
    /// `YYYY-MM-DD`, the first and last day offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// People it can serve at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

impl Resource {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("title", "名称", &self.title, 100),
            text_problem("available", "提供时间", &self.available, 200),
            self.place
                .as_deref()
                .and_then(|p| text_problem("place", "地点", p, 200)),
            self.from
                .as_deref()
                .and_then(|d| date_problem("from", "开始日期", d)),
            self.until
                .as_deref()
                .and_then(|d| date_problem("until", "结束日期", d)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let (Some(a), Some(b)) = (
            self.from.as_deref().and_then(parse_date),
            self.until.as_deref().and_then(parse_date),
        ) {
            if b < a {
                out.push(Problem::because(
                    "until",
                    Reason::new("until is before from", "结束日期早于开始日期"),
                ));
            }
        }
        out
    }
}

/// A service project 服务项目: a claimed need or a resource put to work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub title: String,
    /// The organisation that did the work (record id).
    pub organisation_id: i64,
    pub community_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_code: Option<String>,
    /// The need it answered (record id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_id: Option<i64>,
    /// The resource it used (record id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<i64>,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub people_reached: u32,
    pub hours: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Project {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("title", "名称", &self.title, 100),
            date_problem("date", "日期", &self.date),
            self.notes
                .as_deref()
                .and_then(|n| text_problem("notes", "备注", n, 2000)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.need_id.is_none() && self.resource_id.is_none() {
            out.push(Problem::because(
                "need_id",
                Reason::new(
                    "a service project puts a claimed need (need_id) or a resource (resource_id) to work",
                    "服务项目须对应已认领的需求（need_id）或资源（resource_id）",
                ),
            ));
        }
        if !(self.hours.is_finite() && (0.0..=10_000.0).contains(&self.hours)) {
            out.push(Problem::because(
                "hours",
                Reason::new("hours must be 0–10000", "服务时长须为 0–10000 小时"),
            ));
        }
        out
    }
}
