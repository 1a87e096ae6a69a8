//! The demo district's grid work in 龙南社区, as the 龙马潭 report describes it where it says
//! something, and invented (marked here) where it does not:
//!
//! - from the report: 4 governance grids; the organisations 泾华社工 (social-work agency),
//!   泾华社会服务公司 (the social-service company running joint property management since 2021),
//!   the 五星级红色物业 it was founded with, and the 蓝精灵 building-heads volunteer team; the
//!   needs the report names (pruning, lighting, fire hazards, meals for the elderly);
//! - from 高县's report: a comprehensive grid worker merges four roles and visits at least 200
//!   households a month;
//! - invented: the workers' names and phones (two per grid, as the grids' worker counts say),
//!   a shop and a stationed unit, three months of visits (September to November 2026, some
//!   workers short of the quota), and 80 needs of which 50 are claimed by the organisations.
//!
//! Ids are positions: a visit's `worker_id` is its worker's index in [`DemoWork::workers`], a
//! need's `organisation_id` its organisation's in [`DemoWork::organisations`]; the loader maps
//! them to the ids the store assigns.

use engine::gridwork::{
    BuildingHead, GridWorker, HouseholdUnit, JointUnit, MergedRole, Need, NeedCategory, NeedStatus,
    Organisation, OrganisationKind, Project, ResidentsGroup, Resource, Visit, VisitKind,
};
use engine::{Dataset, ServiceType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::demo::LONGNAN_COMMUNITY;

/// 龙南社区's grid work.
#[derive(Debug, Clone)]
pub struct DemoWork {
    pub workers: Vec<GridWorker>,
    pub organisations: Vec<Organisation>,
    pub visits: Vec<Visit>,
    pub needs: Vec<Need>,
    pub building_heads: Vec<BuildingHead>,
    pub residents_groups: Vec<ResidentsGroup>,
    /// `organisation_id` is an index into `organisations`.
    pub joint_units: Vec<JointUnit>,
    /// `organisation_id` is an index into `organisations`.
    pub resources: Vec<Resource>,
    /// Indexes too: `organisation_id` into `organisations`, `need_id` into `needs`,
    /// `resource_id` into `resources`.
    pub projects: Vec<Project>,
}

/// Invented names of 龙南's grid workers.
const WORKER_NAMES: [&str; 8] = [
    "王丽",
    "陈军",
    "李红梅",
    "张建",
    "刘芳",
    "赵勇",
    "黄小燕",
    "周平",
];

/// Needs as residents word them, with their category (the first four from the report).
const NEEDS: [(&str, NeedCategory); 12] = [
    ("小区树枝修剪", NeedCategory::Environment),
    ("楼道亮化（路灯损坏）", NeedCategory::Repair),
    ("消防隐患改造", NeedCategory::Safety),
    ("独居老人助餐送餐", NeedCategory::Meals),
    ("失能老人上门照护", NeedCategory::ElderlyCare),
    ("下水道堵塞", NeedCategory::Repair),
    ("楼道堆放杂物清理", NeedCategory::Environment),
    ("代办高龄津贴", NeedCategory::Errand),
    ("放学后儿童托管", NeedCategory::Childcare),
    ("慢病老人健康随访", NeedCategory::Health),
    ("邻里噪音纠纷调解", NeedCategory::Dispute),
    ("失业人员就业推荐", NeedCategory::Employment),
];

fn date(month: u32, day: u32) -> String {
    format!("2026-{month:02}-{day:02}")
}

/// 龙南社区's grid workers, organisations, three months of visits and 80 needs.
pub fn demo_grid_work(data: &Dataset) -> DemoWork {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let grids: Vec<&engine::Grid> = data
        .grids
        .iter()
        .filter(|g| g.community_code == LONGNAN_COMMUNITY)
        .collect();
    let workers: Vec<GridWorker> = grids
        .iter()
        .flat_map(|g| std::iter::repeat_n(g.code.clone(), 2))
        .enumerate()
        .map(|(i, grid)| GridWorker {
            name: WORKER_NAMES[i % WORKER_NAMES.len()].to_owned(),
            phone: format!("1398300{:04}", 1000 + i * 37),
            grids: vec![grid],
            roles: vec![
                MergedRole::Comprehensive,
                MergedRole::Governance,
                MergedRole::Safety,
                MergedRole::Environment,
            ],
            start_date: date(3 + (i as u32 % 6), 1).replace("2026", "2021"),
            account: None,
            photo: None,
        })
        .collect();
    let organisation = |name: &str, kind, services: Vec<ServiceType>, phone: &str| Organisation {
        name: name.to_owned(),
        kind,
        community_code: LONGNAN_COMMUNITY.to_owned(),
        contact: None,
        phone: Some(phone.to_owned()),
        services,
        accounts: vec![],
        spaces: vec![],
    };
    let mut organisations = vec![
        organisation(
            "泾华社工",
            OrganisationKind::SocialWorkAgency,
            vec![ServiceType::ElderlyCare, ServiceType::AfterSchool],
            "0830-3100001",
        ),
        organisation(
            "泾华社会服务公司",
            OrganisationKind::PropertyCompany,
            vec![ServiceType::Housekeeping],
            "0830-3100002",
        ),
        organisation(
            "五星级红色物业",
            OrganisationKind::PropertyCompany,
            vec![ServiceType::Housekeeping],
            "0830-3100003",
        ),
        organisation(
            "蓝精灵楼栋长志愿服务队",
            OrganisationKind::VolunteerTeam,
            vec![ServiceType::ElderlyCare, ServiceType::Culture],
            "13983001999",
        ),
        // Invented: a shop and a unit stationed in the area.
        organisation(
            "龙南便民超市",
            OrganisationKind::Shop,
            vec![ServiceType::MealHelp],
            "13983002888",
        ),
        organisation(
            "红星街道卫生院",
            OrganisationKind::StationedUnit,
            vec![ServiceType::Health],
            "0830-3100005",
        ),
    ];
    // 泾华社工 runs 龙南's elderly-care spaces (the report's 社区养老服务中心).
    organisations[0].spaces = data
        .service_spaces
        .iter()
        .filter(|s| {
            s.community_code == LONGNAN_COMMUNITY && s.services.contains(&ServiceType::ElderlyCare)
        })
        .map(|s| s.id)
        .collect();
    // Households by grid: (building id, households), buildings of the grid's compounds and its
    // scattered buildings.
    let compound_grid = |id: Option<i64>| {
        id.and_then(|c| data.compounds.iter().find(|x| x.id == c))
            .and_then(|c| c.grid_code.clone())
    };
    let buildings_of = |grid: &str| -> Vec<(i64, Option<i64>, i64)> {
        data.buildings
            .iter()
            .filter(|b| {
                b.community_code == LONGNAN_COMMUNITY
                    && b.grid_code
                        .clone()
                        .or_else(|| compound_grid(b.compound_id))
                        .as_deref()
                        == Some(grid)
            })
            .map(|b| (b.id, b.compound_id, b.households.max(1)))
            .collect()
    };
    let mut visits = Vec::new();
    for (w, worker) in workers.iter().enumerate() {
        let buildings = buildings_of(&worker.grids[0]);
        if buildings.is_empty() {
            continue;
        }
        // The two workers of a grid share its buildings, alternately.
        let mine: Vec<_> = buildings
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == w % 2)
            .map(|(_, b)| *b)
            .collect();
        let mine = if mine.is_empty() { buildings } else { mine };
        for month in 9..=11u32 {
            // Most meet the quota; every fourth worker falls short in November.
            let target = if w % 4 == 3 && month == 11 {
                150 + rng.random_range(0..30)
            } else {
                205 + rng.random_range(0..40)
            };
            let mut n = 0;
            'month: loop {
                for &(building, compound, households) in &mine {
                    for h in 0..households {
                        if n >= target {
                            break 'month;
                        }
                        if rng.random_range(0..3) == 0 {
                            continue;
                        }
                        let floor = 1 + h / 4;
                        let room = 1 + h % 4;
                        visits.push(Visit {
                            worker_id: w as i64,
                            date: date(month, 1 + rng.random_range(0..28)),
                            kind: VisitKind::Visit,
                            unit: HouseholdUnit {
                                compound_id: compound,
                                building_id: Some(building),
                                household: Some(format!("{floor}{room:02}")),
                            },
                            households: 1,
                            notes: None,
                            needs: vec![],
                            client_id: None,
                            position: None,
                            photo: None,
                        });
                        n += 1;
                    }
                }
            }
            for e in 0..(15 + rng.random_range(0..10)) {
                let (building, compound, _) = mine[e % mine.len()];
                visits.push(Visit {
                    worker_id: w as i64,
                    date: date(month, 1 + rng.random_range(0..28)),
                    kind: VisitKind::Errand,
                    unit: HouseholdUnit {
                        compound_id: compound,
                        building_id: Some(building),
                        household: None,
                    },
                    households: 1,
                    notes: Some("代办：高龄津贴/医保续缴".to_owned()),
                    needs: vec![],
                    client_id: None,
                    position: None,
                    photo: None,
                });
            }
        }
    }
    let longnan_compounds: Vec<&engine::Compound> = data
        .compounds
        .iter()
        .filter(|c| c.community_code == LONGNAN_COMMUNITY)
        .collect();
    let needs: Vec<Need> = (0..80)
        .map(|i| {
            let (title, category) = NEEDS[i % NEEDS.len()];
            let compound = longnan_compounds[i % longnan_compounds.len()];
            let month = 9 + (i as u32 % 3);
            let day = 1 + (i as u32 * 7) % 20;
            // 50 claimed: 20 done, 15 in progress, 15 claimed; 25 open, 5 closed.
            let (status, organisation) = match i {
                0..=19 => (NeedStatus::Done, Some((i % organisations.len()) as i64)),
                20..=34 => (
                    NeedStatus::InProgress,
                    Some((i % organisations.len()) as i64),
                ),
                35..=49 => (NeedStatus::Claimed, Some((i % organisations.len()) as i64)),
                50..=74 => (NeedStatus::Open, None),
                _ => (NeedStatus::Closed, None),
            };
            Need {
                title: title.to_owned(),
                category,
                community_code: LONGNAN_COMMUNITY.to_owned(),
                grid_code: compound.grid_code.clone().map(Into::into),
                unit: Some(HouseholdUnit {
                    compound_id: Some(compound.id),
                    building_id: None,
                    household: None,
                }),
                raised_by: format!("{}居民", compound.name),
                raised_on: date(month, day),
                due_date: Some(date(month, day + 10)),
                status,
                organisation_id: organisation,
                claimed_on: organisation.map(|_| date(month, day + 2)),
                done_on: (status == NeedStatus::Done).then(|| date(month, day + 8)),
                closed_reason: (status == NeedStatus::Closed).then(|| "居民已自行解决".to_owned()),
                people_reached: (status == NeedStatus::Done).then_some(3 + (i as u32 % 20)),
                hours: (status == NeedStatus::Done).then_some(2.0 + (i % 6) as f64),
                description: None,
                client_id: None,
                position: None,
                photo: None,
            }
        })
        .collect();
    let resources = resources();
    let projects = projects(&needs, &resources);
    DemoWork {
        resources,
        projects,
        building_heads: building_heads(data),
        residents_groups: residents_groups(&longnan_compounds),
        joint_units: joint_units(&longnan_compounds),
        workers,
        organisations,
        visits,
        needs,
    }
}

/// Invented building heads of the 蓝精灵 team: one for every third building of 龙南's compounds.
fn building_heads(data: &Dataset) -> Vec<BuildingHead> {
    const SURNAMES: [&str; 8] = ["何", "罗", "郑", "谢", "韩", "唐", "冯", "曹"];
    data.buildings
        .iter()
        .filter(|b| b.community_code == LONGNAN_COMMUNITY && b.compound_id.is_some())
        .step_by(3)
        .enumerate()
        .map(|(i, b)| BuildingHead {
            name: format!(
                "{}{}",
                SURNAMES[i % SURNAMES.len()],
                if i % 2 == 0 { "阿姨" } else { "师傅" }
            ),
            phone: format!("1398301{:04}", 2000 + i * 13),
            unit: HouseholdUnit {
                compound_id: b.compound_id,
                building_id: Some(b.id),
                household: None,
            },
            since: Some("2022-03-01".to_owned()),
        })
        .collect()
}

/// 龙南's six residents' groups (the report's number), its compounds in order.
fn residents_groups(compounds: &[&engine::Compound]) -> Vec<ResidentsGroup> {
    const NAMES: [&str; 6] = [
        "第一居民小组",
        "第二居民小组",
        "第三居民小组",
        "第四居民小组",
        "第五居民小组",
        "第六居民小组",
    ];
    let per = compounds.len().div_ceil(NAMES.len());
    compounds
        .chunks(per.max(1))
        .zip(NAMES)
        .map(|(chunk, name)| ResidentsGroup {
            name: name.to_owned(),
            community_code: LONGNAN_COMMUNITY.to_owned(),
            compounds: chunk.iter().map(|c| c.id).collect(),
            leader: None,
            phone: None,
        })
        .collect()
}

/// The joint-management pilot: 巴士天福苑 and 聚福苑 under 泾华社会服务公司 (organisation 1)
/// since November 2021 at a four-star standard, 0.5 元/m², 20 staff (the report's figures).
fn joint_units(compounds: &[&engine::Compound]) -> Vec<JointUnit> {
    let ids: Vec<i64> = ["巴士天福苑", "聚福苑"]
        .iter()
        .filter_map(|n| compounds.iter().find(|c| c.name == *n).map(|c| c.id))
        .collect();
    vec![JointUnit {
        name: "巴士天福苑—聚福苑连片物业".to_owned(),
        compounds: ids,
        organisation_id: 1,
        start_date: "2021-11-01".to_owned(),
        fee_per_m2: 0.5,
        service_standard: "四星级物业服务标准".to_owned(),
        staff: 20,
        duties: [
            "环境卫生",
            "绿化养护",
            "治安巡查",
            "设施设备维护",
            "居民活动",
        ]
        .iter()
        .map(|d| (*d).to_owned())
        .collect(),
    }]
}

/// What the organisations offer (the report's meal service and pilot; the rest invented).
fn resources() -> Vec<Resource> {
    let resource = |org: i64, title: &str, category, service, available: &str, capacity| Resource {
        organisation_id: org,
        title: title.to_owned(),
        category,
        service,
        community_code: LONGNAN_COMMUNITY.to_owned(),
        unit: None,
        place: Some("龙南社区党群服务中心".to_owned()),
        available: available.to_owned(),
        from: Some("2026-01-01".to_owned()),
        until: None,
        capacity,
    };
    vec![
        resource(
            0,
            "社区养老服务中心助餐送餐",
            NeedCategory::Meals,
            Some(ServiceType::MealHelp),
            "每日午餐 11:00–12:30",
            Some(300),
        ),
        resource(
            0,
            "独居老人探访",
            NeedCategory::ElderlyCare,
            Some(ServiceType::ElderlyCare),
            "每周二、周四下午",
            Some(40),
        ),
        resource(
            1,
            "老旧小区公共设施维修",
            NeedCategory::Repair,
            None,
            "工作日 8:30–17:30",
            None,
        ),
        resource(
            3,
            "楼栋长邻里互助",
            NeedCategory::Environment,
            None,
            "每周六上午",
            Some(30),
        ),
        resource(
            4,
            "送餐到户",
            NeedCategory::Meals,
            Some(ServiceType::MealHelp),
            "每日 11:00–13:00",
            Some(50),
        ),
        resource(
            5,
            "慢病随访与健康讲座",
            NeedCategory::Health,
            Some(ServiceType::Health),
            "每月第一个周三",
            Some(60),
        ),
    ]
}

/// The service list: a project for every done need, by the organisation that claimed it, and
/// one a month for the meal resource.
fn projects(needs: &[Need], resources: &[Resource]) -> Vec<Project> {
    let from_needs = needs
        .iter()
        .enumerate()
        .filter(|(_, n)| n.status == NeedStatus::Done)
        .map(|(i, n)| Project {
            title: n.title.clone(),
            organisation_id: n.organisation_id.unwrap_or_default(),
            community_code: n.community_code.clone(),
            grid_code: n.grid_code.clone(),
            need_id: Some(i as i64),
            resource_id: None,
            date: n.done_on.clone().unwrap_or_else(|| n.raised_on.clone()),
            people_reached: n.people_reached.unwrap_or(1),
            hours: n.hours.unwrap_or(1.0),
            notes: None,
        });
    let meals = resources
        .iter()
        .position(|r| r.category == NeedCategory::Meals)
        .unwrap_or_default();
    let monthly = (9..=11u32).map(move |m| Project {
        title: "社区助餐（月度）".to_owned(),
        organisation_id: 0,
        community_code: LONGNAN_COMMUNITY.to_owned(),
        grid_code: None,
        need_id: None,
        resource_id: Some(meals as i64),
        date: date(m, 28),
        people_reached: 300 + m * 3,
        hours: 120.0,
        notes: Some("为 60 岁以上老人提供用餐和送餐服务".to_owned()),
    });
    from_needs.chain(monthly).collect()
}
