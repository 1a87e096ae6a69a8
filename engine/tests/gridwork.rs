//! Grid work rules on the demo district: where records lie, a need's life and its single claim,
//! the monthly visit counts, masked phones.

use chrono::NaiveDate;
use serde_json::json;

use gridatlas_engine::access::{Role, Scope};
use gridatlas_engine::gridwork::needs::{counts, Acting};
use gridatlas_engine::gridwork::visits::{monthly, parse_month};
use gridatlas_engine::gridwork::*;
use gridatlas_engine::Snapshot;

fn demo() -> Snapshot {
    Snapshot::new(0, data::demo_district())
}

fn day(s: &str) -> NaiveDate {
    parse_date(s).expect("date")
}

fn longnan_grid(snapshot: &Snapshot) -> (String, String) {
    let g = snapshot
        .data
        .grids
        .iter()
        .find(|g| g.community_code == data::LONGNAN_COMMUNITY)
        .expect("a 龙南 grid");
    (g.community_code.clone().to_string(), g.code.clone())
}

fn need(snapshot: &Snapshot) -> Need {
    let (community, grid) = longnan_grid(snapshot);
    let Ok(Body::Need(n)) = Body::parse(
        WorkKind::Need,
        &json!({"title": "楼道灯坏了", "category": "repair", "community_code": community,
                "grid_code": grid, "raised_by": "张阿姨", "raised_on": "2026-11-02",
                "due_date": "2026-11-20"}),
    ) else {
        panic!("a need")
    };
    n
}

#[test]
fn a_visit_lies_where_its_building_lies_and_a_wrong_unit_is_named() {
    let s = demo();
    let b = s
        .data
        .buildings
        .iter()
        .find(|b| b.compound_id.is_some())
        .expect("a building in a compound");
    let compound = s
        .data
        .compounds
        .iter()
        .find(|c| Some(c.id) == b.compound_id)
        .expect("its compound");
    let visit = json!({"worker_id": 1, "date": "2026-11-03", "kind": "visit",
                       "unit": {"building_id": b.id, "household": "2-301"}});
    let body = Body::parse(WorkKind::Visit, &visit).expect("valid");
    let at = body.locate(&s).expect("located");
    assert_eq!(at.community_code, b.community_code);
    assert!(compound.grid_code.is_some());
    assert_eq!(
        at.grid_code.as_deref(),
        compound.grid_code.as_deref(),
        "a building lies in its compound's grid"
    );
    let wrong = json!({"worker_id": 1, "date": "2026-11-03", "kind": "visit",
                       "unit": {"building_id": -5}});
    let problems = Body::parse(WorkKind::Visit, &wrong)
        .expect("valid shape")
        .locate(&s)
        .expect_err("no such building");
    assert_eq!(problems[0].field, "unit.building_id");
    let bad = json!({"worker_id": 1, "date": "2026-13-03", "kind": "visit", "unit": {},
                     "households": 0});
    let problems = Body::parse(WorkKind::Visit, &bad).expect_err("refused");
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["date", "unit", "households"]);
    assert!(problems[0].reason_zh.contains("不是日期"));
}

#[test]
fn a_grid_worker_serves_grids_of_one_community() {
    let s = demo();
    let mut grids = s.data.grids.iter();
    let a = grids.next().expect("grid");
    let other = s
        .data
        .grids
        .iter()
        .find(|g| g.community_code != a.community_code)
        .expect("another community's grid");
    let worker = |grids: Vec<&str>| {
        Body::parse(
            WorkKind::GridWorker,
            &json!({"name": "李红", "phone": "13800001234", "grids": grids,
                    "roles": ["comprehensive", "safety"], "start_date": "2021-03-01"}),
        )
        .expect("valid")
    };
    let at = worker(vec![&a.code]).locate(&s).expect("located");
    assert_eq!(at.community_code, a.community_code);
    assert_eq!(
        at.grid_code, None,
        "a worker's record is the community's to keep"
    );
    let problems = worker(vec![&a.code, &other.code])
        .locate(&s)
        .expect_err("two communities");
    assert!(problems[0].reason.contains("one community"), "{problems:?}");
    let problems = Body::parse(
        WorkKind::GridWorker,
        &json!({"name": "", "phone": "12345", "grids": [], "start_date": "2021-03-01", "age": 3}),
    )
    .expect_err("refused");
    assert_eq!(
        problems[0].field, "age",
        "an unknown field is named: {problems:?}"
    );
}

#[test]
fn a_need_is_claimed_once_and_carried_on_only_by_its_organisation() {
    let s = demo();
    let n = need(&s);
    let today = day("2026-11-05");
    let scope = Scope::Community(data::LONGNAN_COMMUNITY.into());
    let org = |id| Acting {
        role: Role::Organisation,
        scope: &scope,
        organisation_id: Some(id),
    };
    let claimed = n
        .apply(&NeedAction::Claim { organisation_id: 7 }, &org(7), today)
        .expect("claimed");
    assert_eq!(claimed.status, NeedStatus::Claimed);
    assert_eq!(claimed.claimed_on.as_deref(), Some("2026-11-05"));
    let again = claimed
        .apply(&NeedAction::Claim { organisation_id: 8 }, &org(8), today)
        .expect_err("claimed once");
    assert!(
        again.en.contains("already claimed by organisation 7"),
        "{again:?}"
    );
    assert!(again.zh.contains("已被组织 7 认领"));
    assert!(
        n.apply(&NeedAction::Claim { organisation_id: 8 }, &org(7), today)
            .is_err(),
        "in another's name"
    );
    assert!(claimed.apply(&NeedAction::Start, &org(8), today).is_err());
    let started = claimed
        .apply(&NeedAction::Start, &org(7), today)
        .expect("started");
    let done = started
        .apply(
            &NeedAction::Done {
                people_reached: 12,
                hours: 6.5,
            },
            &org(7),
            day("2026-11-09"),
        )
        .expect("done");
    assert_eq!((done.people_reached, done.hours), (Some(12), Some(6.5)));
    assert!(done
        .apply(
            &NeedAction::Close {
                reason: "重复".into()
            },
            &org(7),
            today
        )
        .is_err());
    let staff = Acting {
        role: Role::Staff,
        scope: &scope,
        organisation_id: None,
    };
    assert!(
        n.apply(&NeedAction::Close { reason: " ".into() }, &staff, today)
            .is_err(),
        "closing needs a reason"
    );
    let closed = n
        .apply(
            &NeedAction::Close {
                reason: "居民已自行解决".into(),
            },
            &staff,
            today,
        )
        .expect("closed");
    assert_eq!(closed.status, NeedStatus::Closed);
}

#[test]
fn counts_per_grid_tell_raised_claimed_done_and_overdue() {
    let s = demo();
    let n = need(&s);
    let scope = Scope::District;
    let admin = Acting {
        role: Role::Admin,
        scope: &scope,
        organisation_id: None,
    };
    let t = day("2026-11-10");
    let claimed = n
        .apply(&NeedAction::Claim { organisation_id: 1 }, &admin, t)
        .expect("c");
    let done = claimed
        .apply(
            &NeedAction::Done {
                people_reached: 1,
                hours: 1.0,
            },
            &admin,
            t,
        )
        .expect("d");
    let all = [n.clone(), n.clone(), claimed, done];
    let by_grid = counts(&all, day("2026-11-21"));
    let c = &by_grid[&(n.community_code.clone(), n.grid_code.clone())];
    assert_eq!(
        (c.raised, c.open, c.claimed, c.done, c.overdue),
        (4, 2, 2, 1, 3),
        "due 11-20: the open two and the claimed one are overdue on 11-21"
    );
}

#[test]
fn a_month_counts_each_numbered_household_once_and_errands_apart() {
    let worker = GridWorker {
        name: "李红".into(),
        phone: "13800001234".into(),
        grids: vec!["g1".into()],
        roles: vec![],
        start_date: "2021-03-01".into(),
        account: None,
        photo: None,
    };
    let visit =
        |date: &str, kind: VisitKind, building: i64, household: Option<&str>, n: u32| Visit {
            worker_id: 1,
            date: date.into(),
            kind,
            unit: HouseholdUnit {
                compound_id: None,
                building_id: Some(building),
                household: household.map(str::to_owned),
            },
            households: n,
            notes: None,
            needs: vec![],
            client_id: None,
            position: None,
            photo: None,
        };
    let visits = [
        visit("2026-11-01", VisitKind::Visit, 5, Some("1-101"), 1),
        visit("2026-11-15", VisitKind::Visit, 5, Some("1-101"), 1),
        visit("2026-11-15", VisitKind::Visit, 5, Some("1-102"), 1),
        visit("2026-11-20", VisitKind::Visit, 6, None, 12),
        visit("2026-11-21", VisitKind::Errand, 6, None, 1),
        visit("2026-12-01", VisitKind::Visit, 7, None, 30),
    ];
    let nov = monthly(
        &[(1, worker.clone()), (2, worker)],
        &visits,
        parse_month("2026-11").expect("m"),
        10,
    );
    assert_eq!(
        (
            nov[0].visits,
            nov[0].errands,
            nov[0].households,
            nov[0].quota_met
        ),
        (4, 1, 14, true),
        "1-101 once, 1-102, and 12 households of building 6"
    );
    assert_eq!(
        (nov[1].visits, nov[1].households, nov[1].quota_met),
        (0, 0, false)
    );
}

#[test]
fn viewers_see_a_phone_masked() {
    assert_eq!(masked_phone("13812345678"), "138****5678");
    assert_eq!(masked_phone("0830-2345678"), "083*****5678");
    assert_eq!(masked_phone("12345"), "*****");
}

#[test]
fn a_photo_is_an_image_data_url_of_bounded_size() {
    let s = demo();
    let n = need(&s);
    let with_photo = |photo: &str| {
        let mut v = serde_json::to_value(&n).expect("json");
        v["photo"] = json!(photo);
        Body::parse(WorkKind::Need, &v)
    };
    assert!(with_photo("data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ==").is_ok());
    for bad in [
        "data:image/png;base64,AAAA".to_owned(),
        "https://example.com/a.jpg".to_owned(),
        "data:text/html;base64,PHNjcmlwdD4=".to_owned(),
        format!("data:image/png;base64,{}", "A".repeat(MAX_PHOTO_CHARS)),
    ] {
        let problems = with_photo(&bad).expect_err("refused");
        assert_eq!(problems[0].field, "photo");
        assert!(problems[0].reason_zh.contains("照片"));
    }
}

#[test]
fn a_visit_from_the_future_is_refused_and_every_enum_is_labelled_twice() {
    let visit = |date: &str| {
        Body::parse(
            WorkKind::Visit,
            &json!({"worker_id": 1, "date": date, "kind": "visit", "unit": {"building_id": 1}}),
        )
        .expect("valid")
    };
    let today = day("2026-12-04");
    assert!(
        future_date_problem(&visit("2026-12-05"), today).is_none(),
        "a day's grace"
    );
    let p = future_date_problem(&visit("2026-12-07"), today).expect("future");
    assert_eq!(p.field, "date");
    assert!(p.reason_zh.contains("晚于今天"));
    for e in ENUMS {
        for v in e.values {
            assert!(
                !v.label_zh.is_empty() && v.label_en.is_ascii() && !v.label_en.is_empty(),
                "{}.{}",
                e.name,
                v.name
            );
        }
    }
}
