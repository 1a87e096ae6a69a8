//! Underserved compounds 服务薄弱小区: rule tiers rather than an opaque score, each row with its
//! evidence, for staff to plan field visits.
//!
//! - Tier 1: three-no 三无, at least [`UnderservedRules::min_elderly`] residents aged 60+, and
//!   none of [`UnderservedRules::tier1_services`] (elderly care, meal help) within its threshold.
//! - Tier 2 (not tier 1): at least one of the three governance flags missing, and at least
//!   [`UnderservedRules::tier2_min_gaps`] of [`UnderservedRules::priority_services`] out of reach.
//!
//! Within a tier, rows are ranked by the target population left without service: for each
//! priority service out of reach, the size of its target group at the compound (households for
//! household services, else persons), summed; ties by residents 60+, then households, then id.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::model::ServiceType;

use super::coverage::{CompoundFacts, Coverage, UnitCoverage};
use super::standards::{check_threshold, LifeCircle, Standards, TargetGroup};
use super::AnalysisError;

/// The tier rules (part of [`Standards`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnderservedRules {
    /// Tier 1's minimum residents aged 60+ (50).
    pub min_elderly: i64,
    /// Tier 1 needs every one of these out of reach (elderly care, meal help).
    pub tier1_services: Vec<ServiceType>,
    /// The services whose gaps count for tier 2 and for ranking (elderly care, meal help,
    /// childcare, health).
    pub priority_services: Vec<ServiceType>,
    /// Tier 2's minimum number of priority services out of reach (2).
    pub tier2_min_gaps: usize,
}

impl Default for UnderservedRules {
    fn default() -> Self {
        UnderservedRules {
            min_elderly: 50,
            tier1_services: vec![ServiceType::ElderlyCare, ServiceType::MealHelp],
            priority_services: vec![
                ServiceType::ElderlyCare,
                ServiceType::MealHelp,
                ServiceType::Childcare,
                ServiceType::Health,
            ],
            tier2_min_gaps: 2,
        }
    }
}

impl UnderservedRules {
    /// Every service named must have a standard.
    pub(crate) fn validate(&self, standards: &Standards) -> Result<(), AnalysisError> {
        for &s in self.tier1_services.iter().chain(&self.priority_services) {
            if standards.service(s).is_none() {
                return Err(AnalysisError::InvalidStandards {
                    field: "underserved".into(),
                    reason: format!("names service type {} which has no standard", s.name()),
                });
            }
        }
        if self.min_elderly < 0 {
            return Err(AnalysisError::InvalidStandards {
                field: "underserved.min_elderly".into(),
                reason: format!("must be at least 0, got {}", self.min_elderly),
            });
        }
        Ok(())
    }
}

/// The tier of an underserved compound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnderservedTier {
    /// Three-no, many elderly, no elderly care or meal help within reach.
    Tier1,
    /// A governance flag missing and gaps in several priority services.
    Tier2,
}

impl UnderservedTier {
    /// 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            UnderservedTier::Tier1 => 1,
            UnderservedTier::Tier2 => 2,
        }
    }
}

/// Filters on the list; all given conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnderservedFilter {
    /// Three-no compounds only.
    pub three_no_only: bool,
    /// Compounds missing at least one of the three flags only.
    pub any_flag_missing: bool,
    /// Built in or after this year (compounds without a build year are left out).
    pub build_year_min: Option<i64>,
    /// Built in or before this year (compounds without a build year are left out).
    pub build_year_max: Option<i64>,
    /// At least this many residents aged 60+.
    pub min_elderly: Option<i64>,
    /// Every one of these services out of reach …
    pub out_of_reach: Vec<ServiceType>,
    /// … at this threshold, metres, instead of each standard's.
    pub out_of_reach_threshold_m: Option<f64>,
    /// Include compounds in neither tier (ranked after tier 2).
    pub include_untiered: bool,
    /// Only compounds of this grid.
    pub grid_code: Option<String>,
    /// Only compounds of this community.
    pub community_code: Option<String>,
    /// Only compounds of this street.
    pub street_code: Option<String>,
}

impl UnderservedFilter {
    /// Refuses a filter that cannot mean what was asked: a build year outside 1800–2100, a
    /// year range whose start is after its end, fewer than 0 residents aged 60+.
    pub fn check(&self) -> Result<(), AnalysisError> {
        let refuse = |field: &str, reason: String| AnalysisError::InvalidRequest {
            field: field.to_owned(),
            reason,
        };
        for (field, year) in [
            ("build_year_min", self.build_year_min),
            ("build_year_max", self.build_year_max),
        ] {
            if let Some(y) = year.filter(|y| !(1800..=2100).contains(y)) {
                return Err(refuse(
                    field,
                    format!("a build year between 1800 and 2100, got {y}"),
                ));
            }
        }
        if let (Some(from), Some(to)) = (self.build_year_min, self.build_year_max) {
            if from > to {
                return Err(refuse(
                    "build_year_min",
                    format!("the range starts after it ends ({from} > {to}); swap the years"),
                ));
            }
        }
        if let Some(n) = self.min_elderly.filter(|n| *n < 0) {
            return Err(refuse(
                "min_elderly",
                format!("a count of residents aged 60+ is 0 or more, got {n}"),
            ));
        }
        Ok(())
    }
}

/// One service's reach as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceEvidence {
    pub service: ServiceType,
    /// Metres to the nearest counting facility by the coverage's metric; `None` when there is
    /// none (on foot: none reachable, or the compound is not joined to the ways).
    pub distance_m: Option<f64>,
    /// Straight-line and walking metres, and their ratio (detour factor 绕行系数).
    #[serde(default)]
    pub straight_m: Option<f64>,
    #[serde(default)]
    pub walk_m: Option<f64>,
    #[serde(default)]
    pub detour: Option<f64>,
    pub threshold_m: f64,
    pub within: bool,
    pub life_circle: LifeCircle,
    pub target_group: TargetGroup,
    /// The target group's size at the compound (households, or persons).
    pub target: f64,
    /// One of the rules' priority services.
    pub priority: bool,
    /// The standard behind the threshold.
    pub source: String,
}

/// One compound of the list with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnderservedRow {
    /// 1-based rank in the filtered list.
    pub rank: usize,
    pub tier: Option<UnderservedTier>,
    pub compound_id: i64,
    pub name: Option<String>,
    pub community_code: String,
    pub grid_code: Option<String>,
    pub street_code: Option<String>,
    pub flags: CompoundFacts,
    pub households: i64,
    pub population: f64,
    /// Residents aged 60+.
    pub elderly: f64,
    /// Priority services out of reach.
    pub gaps: Vec<ServiceType>,
    /// Target population left without service: Σ over the gaps of their target groups' sizes.
    pub unserved_target: f64,
    /// Every analysed service, in the standards' order.
    pub services: Vec<ServiceEvidence>,
}

/// The underserved compounds of a coverage, filtered and ranked: tier 1, then tier 2 (then the
/// rest, if asked), each by target population left without service.
pub fn underserved(
    coverage: &Coverage,
    filter: &UnderservedFilter,
) -> Result<Vec<UnderservedRow>, AnalysisError> {
    filter.check()?;
    let standards = &coverage.standards;
    let rules = &standards.underserved;
    if let Some(t) = filter.out_of_reach_threshold_m {
        check_threshold("out_of_reach_threshold_m", t)?;
    }
    let mut out_of_reach = Vec::with_capacity(filter.out_of_reach.len());
    for &s in &filter.out_of_reach {
        out_of_reach.push(
            coverage
                .service_position(s)
                .ok_or(AnalysisError::NotAnalysed(s))?,
        );
    }
    let position = |s: ServiceType| coverage.service_position(s);
    let tier1: Vec<usize> = rules
        .tier1_services
        .iter()
        .filter_map(|&s| position(s))
        .collect();
    let priority: Vec<usize> = rules
        .priority_services
        .iter()
        .filter_map(|&s| position(s))
        .collect();

    let mut rows: Vec<UnderservedRow> = coverage
        .units
        .iter()
        .filter_map(|u| {
            let facts = u.compound.as_ref()?;
            if !passes(u, facts, filter, &out_of_reach) {
                return None;
            }
            let gaps: Vec<usize> = priority
                .iter()
                .copied()
                .filter(|&p| !u.services[p].covered)
                .collect();
            let tier = if facts.three_no
                && u.elderly >= rules.min_elderly as f64
                && !tier1.is_empty()
                && tier1.iter().all(|&p| !u.services[p].covered)
            {
                Some(UnderservedTier::Tier1)
            } else if facts.missing_flags >= 1 && gaps.len() >= rules.tier2_min_gaps.max(1) {
                Some(UnderservedTier::Tier2)
            } else {
                None
            };
            if tier.is_none() && !filter.include_untiered {
                return None;
            }
            let unserved_target = gaps
                .iter()
                .map(|&p| u.target(standards.services[p].target_group))
                .sum();
            Some(row(
                u,
                facts,
                tier,
                &gaps,
                unserved_target,
                &priority,
                standards,
            ))
        })
        .collect();
    rows.sort_by(|a, b| {
        let tier = |r: &UnderservedRow| r.tier.map_or(3, UnderservedTier::number);
        tier(a)
            .cmp(&tier(b))
            .then(b.unserved_target.total_cmp(&a.unserved_target))
            .then(b.elderly.total_cmp(&a.elderly))
            .then(b.households.cmp(&a.households))
            .then(a.compound_id.cmp(&b.compound_id))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Ok(rows)
}

fn passes(
    u: &UnitCoverage,
    facts: &CompoundFacts,
    filter: &UnderservedFilter,
    out_of_reach: &[usize],
) -> bool {
    if filter.three_no_only && !facts.three_no {
        return false;
    }
    if filter.any_flag_missing && facts.missing_flags == 0 {
        return false;
    }
    if filter.build_year_min.is_some() || filter.build_year_max.is_some() {
        let Some(year) = facts.build_year else {
            return false;
        };
        if filter.build_year_min.is_some_and(|m| year < m)
            || filter.build_year_max.is_some_and(|m| year > m)
        {
            return false;
        }
    }
    if filter
        .min_elderly
        .is_some_and(|m| u.elderly.partial_cmp(&(m as f64)) == Some(Ordering::Less))
    {
        return false;
    }
    for &p in out_of_reach {
        let r = &u.services[p];
        let threshold = filter.out_of_reach_threshold_m.unwrap_or(r.threshold_m);
        if r.distance_m.is_some_and(|d| d <= threshold) {
            return false;
        }
    }
    let outside = |want: &Option<String>, have: Option<&str>| {
        want.as_deref().is_some_and(|w| have != Some(w))
    };
    !(outside(&filter.grid_code, u.grid_code.as_deref())
        || outside(&filter.community_code, Some(&u.community_code))
        || outside(&filter.street_code, u.street_code.as_deref()))
}

fn row(
    u: &UnitCoverage,
    facts: &CompoundFacts,
    tier: Option<UnderservedTier>,
    gaps: &[usize],
    unserved_target: f64,
    priority: &[usize],
    standards: &Standards,
) -> UnderservedRow {
    let services = u
        .services
        .iter()
        .zip(&standards.services)
        .enumerate()
        .map(|(i, (r, s))| ServiceEvidence {
            service: r.service,
            distance_m: r.distance_m,
            straight_m: r.straight_m,
            walk_m: r.walk_m,
            detour: r.detour,
            threshold_m: r.threshold_m,
            within: r.covered,
            life_circle: s.life_circle,
            target_group: s.target_group,
            target: u.target(s.target_group),
            priority: priority.contains(&i),
            source: s.source.clone(),
        })
        .collect();
    UnderservedRow {
        rank: 0,
        tier,
        compound_id: u.id,
        name: u.name.clone(),
        community_code: u.community_code.clone(),
        grid_code: u.grid_code.clone(),
        street_code: u.street_code.clone(),
        flags: facts.clone(),
        households: u.households,
        population: u.population,
        elderly: u.elderly,
        gaps: gaps
            .iter()
            .map(|&p| standards.services[p].service)
            .collect(),
        unserved_target,
        services,
    }
}
