//! Trends 月度趋势: an area's indicators at the end of each month — coverage of every service,
//! property management, owners' committees, three-no compounds, grid load — with the month's
//! visits and needs, so that a report can say what changed since the month before.
//!
//! Months end at midnight China Standard Time (UTC+8), as the offices count them.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use super::AreaSummary;
use crate::gridwork::{Need, NeedStatus, Visit};
use crate::planning::Caps;
use crate::ServiceType;

/// China Standard Time, the offices' clock.
pub fn china_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// The moment `s` names: the end of a day `YYYY-MM-DD` or of a month `YYYY-MM` (China time),
/// or an RFC 3339 moment.
pub fn moment(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(day) = crate::gridwork::parse_date(s) {
        let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
        return china_time()
            .from_local_datetime(&next)
            .single()
            .map(|t| t.with_timezone(&Utc));
    }
    Month::parse(s).map(Month::end)
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.split_once('-')?;
        let month = Month {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
        };
        month.first_day().map(|_| month)
    }

    pub fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
    }

    #[must_use]
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    #[must_use]
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The moment the month ends: midnight (China time) starting the next month, in UTC.
    pub fn end(self) -> DateTime<Utc> {
        let first = self
            .next()
            .first_day()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        china_time()
            .from_local_datetime(&first)
            .single()
            .map_or_else(Utc::now, |t| t.with_timezone(&Utc))
    }

    /// Whether `date` (`YYYY-MM-DD`) falls in this month.
    pub fn holds(self, date: &str) -> bool {
        crate::gridwork::parse_date(date).is_some_and(|d| Month::of(d) == self)
    }

    /// The `n` whole months before the one `now` falls in (China time), oldest first.
    pub fn last_whole(now: DateTime<Utc>, n: usize) -> Vec<Month> {
        let mut m = Month::of(now.with_timezone(&china_time()).date_naive());
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            m = m.previous();
            out.push(m);
        }
        out.reverse();
        out
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One area's indicators at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    pub households: i64,
    /// % of households covered, by service.
    pub coverage_pct: BTreeMap<ServiceType, Option<f64>>,
    pub property_management_pct: Option<f64>,
    pub owners_committee_pct: Option<f64>,
    pub three_no_compounds: usize,
    pub three_no_households: i64,
    pub grids: usize,
    pub grid_workers: i64,
    /// Households per grid against the old-compound cap: 1 means each grid is full on average.
    pub load_per_grid: Option<f64>,
}

impl Indicators {
    /// The indicators of an area's summary.
    pub fn of(area: &AreaSummary, caps: Caps) -> Indicators {
        let g = &area.governance;
        Indicators {
            households: g.households,
            coverage_pct: area
                .services
                .iter()
                .map(|s| (s.service, s.households_pct))
                .collect(),
            property_management_pct: g.property_management_pct,
            owners_committee_pct: g.owners_committee_pct,
            three_no_compounds: g.three_no_compounds,
            three_no_households: g.three_no_households,
            grids: g.grids,
            grid_workers: g.grid_workers,
            load_per_grid: (g.grids > 0)
                .then(|| g.households as f64 / g.grids as f64 / f64::from(caps.old)),
        }
    }
}

/// Grid work of a month in an area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WorkOfMonth {
    /// Visits and errands recorded with a date in the month.
    pub visits: usize,
    pub needs_raised: usize,
    pub needs_done: usize,
    /// Raised by the month's end and neither done nor closed by then (closed needs count as
    /// ended when their status says so).
    pub needs_open_at_end: usize,
}

/// The grid work of `month` from the area's visits and needs.
pub fn work_of_month(month: Month, visits: &[Visit], needs: &[Need]) -> WorkOfMonth {
    let end = month.next().first_day();
    let before_end =
        |d: &str| crate::gridwork::parse_date(d).is_some_and(|d| end.is_some_and(|e| d < e));
    WorkOfMonth {
        visits: visits.iter().filter(|v| month.holds(&v.date)).count(),
        needs_raised: needs.iter().filter(|n| month.holds(&n.raised_on)).count(),
        needs_done: needs
            .iter()
            .filter(|n| n.done_on.as_deref().is_some_and(|d| month.holds(d)))
            .count(),
        needs_open_at_end: needs
            .iter()
            .filter(|n| before_end(&n.raised_on))
            .filter(|n| !n.done_on.as_deref().is_some_and(before_end))
            .filter(|n| n.status != NeedStatus::Closed)
            .count(),
    }
}

/// One month of an area's trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub month: Month,
    /// The moment measured (the month's end), RFC 3339.
    pub as_of: String,
    pub data_version: i64,
    /// `None` when the data of that moment cannot be had (`unavailable` says why).
    pub indicators: Option<Indicators>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<Unavailable>,
    /// The reason in words, when unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub work: WorkOfMonth,
}

/// Why a month's indicators are missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// The area had no data yet then.
    NotYet,
    /// A bulk change since then cannot be undone from the audit log.
    Irreversible,
}

/// The change of every indicator from `before` to `after` (percentage points for shares).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub coverage_pct: BTreeMap<ServiceType, Option<f64>>,
    pub property_management_pct: Option<f64>,
    pub owners_committee_pct: Option<f64>,
    pub three_no_compounds: i64,
    pub households: i64,
}

impl Change {
    pub fn between(before: &Indicators, after: &Indicators) -> Change {
        let diff = |a: Option<f64>, b: Option<f64>| Some(b? - a?);
        Change {
            coverage_pct: after
                .coverage_pct
                .iter()
                .map(|(s, v)| (*s, diff(before.coverage_pct.get(s).copied().flatten(), *v)))
                .collect(),
            property_management_pct: diff(
                before.property_management_pct,
                after.property_management_pct,
            ),
            owners_committee_pct: diff(before.owners_committee_pct, after.owners_committee_pct),
            three_no_compounds: after.three_no_compounds as i64 - before.three_no_compounds as i64,
            households: after.households - before.households,
        }
    }
}
