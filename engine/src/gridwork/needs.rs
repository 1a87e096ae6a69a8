//! The needs list 需求清单: needs raised in visits or by residents, claimed by organisations
//! (open → claimed → in progress → done, or closed with a reason), put to work as service
//! projects 服务项目 with the people reached and hours spent; and the counts per grid.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    date_problem, parse_date, photo_problem, position_problem, text_problem, HouseholdUnit,
};
use crate::access::{Role, Scope};
use crate::model::{domain_enum, DomainEnum, EnumValue};
use crate::reason::Reason;
use crate::Problem;

domain_enum!(
    /// Where a need stands.
    NeedStatus = "need_status" {
        Open = "open" / "待认领" / "Open",
        Claimed = "claimed" / "已认领" / "Claimed",
        InProgress = "in_progress" / "办理中" / "In progress",
        Done = "done" / "已办结" / "Done",
        Closed = "closed" / "已关闭" / "Closed",
    }
);

domain_enum!(
    /// What a need is about 需求类别.
    NeedCategory = "need_category" {
        ElderlyCare = "elderly_care" / "养老照护" / "Elderly care",
        Childcare = "childcare" / "托育托管" / "Childcare",
        Meals = "meals" / "助餐" / "Meals",
        Health = "health" / "健康医疗" / "Health",
        Repair = "repair" / "维修改造" / "Repairs",
        Environment = "environment" / "环境卫生" / "Environment and sanitation",
        Safety = "safety" / "安全隐患" / "Safety hazard",
        Employment = "employment" / "就业帮扶" / "Employment help",
        Dispute = "dispute" / "矛盾纠纷" / "Dispute",
        Errand = "errand" / "代办事项" / "Paperwork and errands",
        Other = "other" / "其他" / "Other",
    }
);

/// A need: where (a unit, or a grid or community), what, who raised it, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    pub title: String,
    pub category: NeedCategory,
    /// Filled from the unit when one is named.
    #[serde(default)]
    pub community_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<HouseholdUnit>,
    /// Who raised it (a resident, a building head, the grid worker).
    pub raised_by: String,
    /// `YYYY-MM-DD`.
    pub raised_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default = "open")]
    pub status: NeedStatus,
    /// The organisation that claimed it (record id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
    /// People the service reached, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people_reached: Option<u32>,
    /// Hours of service, once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The phone's own id for the record (sent twice, kept once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Where it was raised, `[lon, lat]` (WGS84).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    /// A photo of it (a data URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

fn open() -> NeedStatus {
    NeedStatus::Open
}

/// A step of a need's life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum NeedAction {
    /// An organisation takes it on (once: a claimed need cannot be claimed again).
    Claim { organisation_id: i64 },
    /// The claiming organisation starts the work.
    Start,
    /// The work is done: the service project's people reached and hours.
    Done { people_reached: u32, hours: f64 },
    /// Closed without being done, with the reason.
    Close { reason: String },
}

impl NeedAction {
    pub fn name(&self) -> &'static str {
        match self {
            NeedAction::Claim { .. } => "claim",
            NeedAction::Start => "start",
            NeedAction::Done { .. } => "done",
            NeedAction::Close { .. } => "close",
        }
    }
}

/// Who acts on a need: a role in a scope, and for an organisation's account the organisation.
#[derive(Debug, Clone)]
pub struct Acting<'a> {
    pub role: Role,
    pub scope: &'a Scope,
    pub organisation_id: Option<i64>,
}

impl Need {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("title", "标题", &self.title, 100),
            text_problem("raised_by", "提出人", &self.raised_by, 50),
            date_problem("raised_on", "提出日期", &self.raised_on),
            self.due_date
                .as_deref()
                .and_then(|d| date_problem("due_date", "办结期限", d)),
            self.description
                .as_deref()
                .and_then(|d| text_problem("description", "说明", d, 2000)),
        ]
        .into_iter()
        .flatten()
        .collect();
        out.extend(
            self.client_id
                .as_deref()
                .and_then(|c| text_problem("client_id", "客户端编号", c, 64)),
        );
        out.extend(position_problem(self.position));
        out.extend(self.photo.as_deref().and_then(photo_problem));
        if let (Some(due), Some(raised)) = (
            self.due_date.as_deref().and_then(parse_date),
            parse_date(&self.raised_on),
        ) {
            if due < raised {
                out.push(Problem::because(
                    "due_date",
                    Reason::new(
                        "the due date is before the need was raised",
                        "办结期限早于提出日期",
                    ),
                ));
            }
        }
        if self.unit.is_none() && self.community_code.is_empty() {
            out.push(Problem::because(
                "community_code",
                Reason::new(
                    "name the unit, or the community (and grid) the need lies in",
                    "请指明需求所在的小区或楼栋，或所在社区（及网格）",
                ),
            ));
        }
        let claimed = !matches!(self.status, NeedStatus::Open)
            && !(self.status == NeedStatus::Closed && self.organisation_id.is_none());
        if claimed != self.organisation_id.is_some() {
            out.push(Problem::because(
                "organisation_id",
                Reason::new(
                    "a claimed need names its organisation, an open one none",
                    "已认领的需求须写明认领组织，待认领的需求不写",
                ),
            ));
        }
        out
    }

    /// Whether an organisation sees the need: open ones it may claim, and its own.
    pub fn visible_to(&self, organisation_id: Option<i64>) -> bool {
        self.status == NeedStatus::Open
            || (organisation_id.is_some() && organisation_id == self.organisation_id)
    }

    /// Whether the need is past its due date on `today` and not finished.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        !matches!(self.status, NeedStatus::Done | NeedStatus::Closed)
            && self
                .due_date
                .as_deref()
                .and_then(parse_date)
                .is_some_and(|d| d < today)
    }

    /// The need after `action` on `today` by `who`: the step must follow from the status, and
    /// only the claiming organisation (or the community's staff) carries a claimed need on.
    pub fn apply(
        &self,
        action: &NeedAction,
        who: &Acting<'_>,
        today: NaiveDate,
    ) -> Result<Need, NeedRefusal> {
        let staff = matches!(who.role, Role::Admin | Role::Planner | Role::Staff);
        let own = who.organisation_id.is_some() && who.organisation_id == self.organisation_id;
        let day = today.format("%Y-%m-%d").to_string();
        let mut next = self.clone();
        let wrong_step = |what: &str, zh: &str| {
            Reason::new(
                format!(
                    "a need that is {} cannot be {what}",
                    self.status.label_en().to_lowercase()
                ),
                format!("{}的需求不能{zh}", self.status.label_zh()),
            )
        };
        match action {
            NeedAction::Claim { organisation_id } => {
                if self.status != NeedStatus::Open {
                    return Err(NeedRefusal::conflict(if self.organisation_id.is_some() {
                        Reason::new(
                            format!(
                                "already claimed by organisation {}",
                                self.organisation_id.unwrap_or_default()
                            ),
                            format!("已被组织 {} 认领", self.organisation_id.unwrap_or_default()),
                        )
                    } else {
                        wrong_step("claimed", "认领")
                    }));
                }
                match who.role {
                    Role::Organisation if who.organisation_id != Some(*organisation_id) => {
                        return Err(NeedRefusal::not_allowed(Reason::new(
                            "an organisation claims in its own name only",
                            "组织只能以本组织名义认领",
                        )))
                    }
                    Role::Organisation => {}
                    _ if staff => {}
                    _ => {
                        return Err(NeedRefusal::not_allowed(Reason::new(
                            "viewers do not claim needs",
                            "查看者不能认领需求",
                        )))
                    }
                }
                next.status = NeedStatus::Claimed;
                next.organisation_id = Some(*organisation_id);
                next.claimed_on = Some(day);
            }
            NeedAction::Start => {
                if self.status != NeedStatus::Claimed {
                    return Err(NeedRefusal::conflict(wrong_step("started", "开始办理")));
                }
                if !(own || staff) {
                    return Err(NeedRefusal::not_allowed(not_yours()));
                }
                next.status = NeedStatus::InProgress;
            }
            NeedAction::Done {
                people_reached,
                hours,
            } => {
                if !matches!(self.status, NeedStatus::Claimed | NeedStatus::InProgress) {
                    return Err(NeedRefusal::conflict(wrong_step("done", "办结")));
                }
                if !(own || staff) {
                    return Err(NeedRefusal::not_allowed(not_yours()));
                }
                if !(hours.is_finite() && (0.0..=10_000.0).contains(hours)) {
                    return Err(NeedRefusal::not_allowed(Reason::new(
                        "hours must be 0–10000",
                        "服务时长须为 0–10000 小时",
                    )));
                }
                next.status = NeedStatus::Done;
                next.done_on = Some(day);
                next.people_reached = Some(*people_reached);
                next.hours = Some(*hours);
            }
            NeedAction::Close { reason } => {
                if matches!(self.status, NeedStatus::Done | NeedStatus::Closed) {
                    return Err(NeedRefusal::conflict(wrong_step("closed", "关闭")));
                }
                if !staff {
                    return Err(NeedRefusal::not_allowed(Reason::new(
                        "only the community's staff close a need",
                        "只有社区工作人员可以关闭需求",
                    )));
                }
                let n = reason.trim().chars().count();
                if n == 0 || n > 500 {
                    return Err(NeedRefusal::not_allowed(Reason::new(
                        "closing needs a reason (1–500 characters)",
                        "关闭需求须写明原因（1–500 字）",
                    )));
                }
                next.status = NeedStatus::Closed;
                next.closed_reason = Some(reason.trim().to_owned());
            }
        }
        Ok(next)
    }
}

/// Why a step of a need is refused: it does not follow from where the need stands (a
/// `conflict`: claimed already, done, …), or the caller may not take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedRefusal {
    pub conflict: bool,
    pub reason: Reason,
}

impl NeedRefusal {
    fn conflict(reason: Reason) -> Self {
        NeedRefusal {
            conflict: true,
            reason,
        }
    }

    fn not_allowed(reason: Reason) -> Self {
        NeedRefusal {
            conflict: false,
            reason,
        }
    }
}

impl std::ops::Deref for NeedRefusal {
    type Target = Reason;
    fn deref(&self) -> &Reason {
        &self.reason
    }
}

fn not_yours() -> Reason {
    Reason::new(
        "only the organisation that claimed the need (or the community's staff) carries it on",
        "只有认领该需求的组织（或社区工作人员）可以继续办理",
    )
}

/// Counts of needs in one grid (or a community's needs outside any grid).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeedCounts {
    pub raised: u32,
    pub open: u32,
    /// Claimed at some point (claimed, in progress, done, or closed after a claim).
    pub claimed: u32,
    pub in_progress: u32,
    pub done: u32,
    pub closed: u32,
    pub overdue: u32,
}

impl std::ops::AddAssign<&NeedCounts> for NeedCounts {
    fn add_assign(&mut self, o: &NeedCounts) {
        self.raised += o.raised;
        self.open += o.open;
        self.claimed += o.claimed;
        self.in_progress += o.in_progress;
        self.done += o.done;
        self.closed += o.closed;
        self.overdue += o.overdue;
    }
}

/// The counts per grid (from [`counts`]) summed per community.
pub fn per_community(
    per_grid: &BTreeMap<(String, Option<String>), NeedCounts>,
) -> BTreeMap<(String, Option<String>), NeedCounts> {
    let mut out: BTreeMap<(String, Option<String>), NeedCounts> = BTreeMap::new();
    for ((community, _), c) in per_grid {
        *out.entry((community.clone(), None)).or_default() += c;
    }
    out
}

/// Counts per (community, grid) on `today`.
pub fn counts<'a>(
    needs: impl IntoIterator<Item = &'a Need>,
    today: NaiveDate,
) -> BTreeMap<(String, Option<String>), NeedCounts> {
    let mut out: BTreeMap<(String, Option<String>), NeedCounts> = BTreeMap::new();
    for n in needs {
        let c = out
            .entry((n.community_code.clone(), n.grid_code.clone()))
            .or_default();
        c.raised += 1;
        match n.status {
            NeedStatus::Open => c.open += 1,
            NeedStatus::Claimed => {}
            NeedStatus::InProgress => c.in_progress += 1,
            NeedStatus::Done => c.done += 1,
            NeedStatus::Closed => c.closed += 1,
        }
        if n.organisation_id.is_some() {
            c.claimed += 1;
        }
        if n.overdue(today) {
            c.overdue += 1;
        }
    }
    out
}
