//! The people and organisations of a grid: grid workers 网格员 with the roles merged in them, and
//! organisations 组织 (social organisations, property companies, stationed units, volunteer teams,
//! shops) with the services they offer and the accounts that act for them.

use serde::{Deserialize, Serialize};

use super::{community_of, date_problem, phone_problem, photo_problem, text_problem, Location};
use crate::model::{domain_enum, DomainEnum, EnumValue, ServiceType};
use crate::reason::Reason;
use crate::{Problem, Snapshot};

domain_enum!(
    /// A role merged into a comprehensive grid worker 综合网格员 (高县 merged four).
    MergedRole = "merged_role" {
        Comprehensive = "comprehensive" / "综合网格员" / "Comprehensive grid worker",
        Governance = "governance" / "综治网格员" / "Public-order grid worker",
        Safety = "safety" / "安全生产网格员" / "Work-safety grid worker",
        Environment = "environment" / "环保网格员" / "Environmental grid worker",
        Market = "market" / "市场监管网格员" / "Market-supervision grid worker",
        Health = "health" / "卫生健康网格员" / "Health grid worker",
    }
);

domain_enum!(
    /// Kind of organisation 组织类型.
    OrganisationKind = "organisation_kind" {
        SocialOrganisation = "social_organisation" / "社会组织" / "Social organisation",
        PropertyCompany = "property_company" / "物业企业" / "Property-management company",
        SocialWorkAgency = "social_work_agency" / "社工机构" / "Social-work agency",
        StationedUnit = "stationed_unit" / "驻区单位" / "Unit stationed in the area",
        VolunteerTeam = "volunteer_team" / "志愿服务队" / "Volunteer team",
        Shop = "shop" / "商户" / "Shop",
    }
);

/// A grid worker 网格员: a person serving one or more grids of one community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridWorker {
    pub name: String,
    pub phone: String,
    /// The grids served (codes), all of one community.
    pub grids: Vec<String>,
    #[serde(default)]
    pub roles: Vec<MergedRole>,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// The account the worker signs in with, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// A portrait for the grid's notice board (a JPEG, PNG or WebP data URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

impl GridWorker {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("name", "姓名", &self.name, 50),
            phone_problem("phone", &self.phone),
            date_problem("start_date", "上岗日期", &self.start_date),
            self.photo.as_deref().and_then(photo_problem),
        ]
        .into_iter()
        .flatten()
        .collect();
        if self.grids.is_empty() {
            out.push(Problem::because(
                "grids",
                Reason::new(
                    "a grid worker serves at least one grid",
                    "网格员至少负责一个网格",
                ),
            ));
        }
        if let Some(a) = &self.account {
            if let Err(e) = crate::access::check_account_name(a) {
                out.push(Problem::because(
                    "account",
                    Reason::new(e.clone(), format!("账号名不正确：{e}")),
                ));
            }
        }
        out
    }

    /// The community of the worker's grids (which must all exist and share it).
    pub(crate) fn locate(&self, snapshot: &Snapshot) -> Result<Location, Vec<Problem>> {
        let mut community: Option<&str> = None;
        for code in &self.grids {
            let Some(g) = snapshot.grid(code) else {
                return Err(vec![Problem::because(
                    "grids",
                    Reason::new(
                        format!("no grid {code}"),
                        format!("没有编码为 {code} 的网格"),
                    ),
                )]);
            };
            match community {
                Some(c) if c != g.community_code => {
                    return Err(vec![Problem::because(
                        "grids",
                        Reason::new(
                            format!("grids of two communities ({c} and {}): a grid worker serves one community", g.community_code),
                            format!("网格分属两个社区（{c} 与 {}）：一名网格员只服务一个社区", g.community_code),
                        ),
                    )])
                }
                _ => community = Some(&g.community_code),
            }
        }
        let code = community.unwrap_or_default();
        community_of(snapshot, code, None)
    }
}

/// An organisation 组织 active in a community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    pub kind: OrganisationKind,
    pub community_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The services it offers.
    #[serde(default)]
    pub services: Vec<ServiceType>,
    /// Accounts (role `organisation`) that act for it: they claim needs in its name.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The service spaces it operates (feature ids): its accounts may change them.
    #[serde(default)]
    pub spaces: Vec<i64>,
}

impl Organisation {
    pub(crate) fn problems(&self) -> Vec<Problem> {
        let mut out: Vec<Problem> = [
            text_problem("name", "名称", &self.name, 100),
            self.contact
                .as_deref()
                .and_then(|c| text_problem("contact", "联系人", c, 50)),
            self.phone
                .as_deref()
                .and_then(|p| phone_problem("phone", p)),
        ]
        .into_iter()
        .flatten()
        .collect();
        for a in &self.accounts {
            if let Err(e) = crate::access::check_account_name(a) {
                out.push(Problem::because(
                    "accounts",
                    Reason::new(e.clone(), format!("账号名不正确：{e}")),
                ));
            }
        }
        out
    }

    /// Its community; the spaces it operates must exist.
    pub(crate) fn locate(&self, snapshot: &Snapshot) -> Result<Location, Vec<Problem>> {
        if let Some(id) = self
            .spaces
            .iter()
            .find(|id| !snapshot.has_service_space(**id))
        {
            return Err(vec![Problem::because(
                "spaces",
                Reason::new(
                    format!("no service space {id}"),
                    format!("没有编号为 {id} 的服务空间"),
                ),
            )]);
        }
        community_of(snapshot, &self.community_code, None)
    }
}
