//! Who may change what: roles 角色 and scopes 管辖范围.
//!
//! A user changes data only inside their scope (the district, one street, or one community) and
//! only in the layers their role edits; viewers read only.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::feature::Feature;
use crate::model::Layer;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: every layer in scope, and accounts.
    Admin,
    /// 规划人员: grids and the units placed in them (compounds with their gates, buildings),
    /// facilities, ways; publishes grid plans.
    Planner,
    /// 社区工作者/网格员: compounds (with their gates), buildings, stations and service spaces.
    Staff,
    /// 查看者: reads only.
    Viewer,
    /// 组织: a social organisation, property company, volunteer team or shop named in an
    /// organisation record's accounts; claims open needs in its scope and changes only its own
    /// claims. Changes no layer.
    Organisation,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Planner,
        Role::Staff,
        Role::Viewer,
        Role::Organisation,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Staff => "staff",
            Role::Viewer => "viewer",
            Role::Organisation => "organisation",
        }
    }

    /// Whether the role edits features of `layer` at all (scope aside).
    pub fn edits(self, layer: Layer) -> bool {
        match self {
            Role::Admin => true,
            Role::Planner => matches!(
                layer,
                Layer::Grids
                    | Layer::Compounds
                    | Layer::Buildings
                    | Layer::Gates
                    | Layer::Stations
                    | Layer::ServiceSpaces
                    | Layer::Ways
            ),
            Role::Staff => matches!(
                layer,
                Layer::Compounds
                    | Layer::Buildings
                    | Layer::Gates
                    | Layer::Stations
                    | Layer::ServiceSpaces
            ),
            Role::Viewer | Role::Organisation => false,
        }
    }
}

impl Role {
    /// The role's name in Chinese.
    pub fn title_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Planner => "规划员",
            Role::Staff => "网格员",
            Role::Viewer => "查看者",
            Role::Organisation => "组织",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| {
                format!("unknown role \"{s}\" (admin, planner, staff, viewer or organisation)")
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The part of the district a user is responsible for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    /// The whole district 区.
    District,
    /// One street 街道 by its 9-digit code.
    Street(String),
    /// One community 社区 by its 12-digit code.
    Community(String),
    /// One or more grids 网格 by code (a grid worker's): the units placed in them, and the grid
    /// work recorded there.
    Grid(Vec<String>),
}

impl Scope {
    /// Whether a community (12-digit code, whose first 9 digits are its street's) lies in scope.
    pub fn covers_community(&self, community_code: &str) -> bool {
        match self {
            Scope::District => true,
            Scope::Street(s) => community_code.starts_with(s.as_str()),
            Scope::Community(c) => community_code == c,
            Scope::Grid(_) => false,
        }
    }

    /// Whether a grid lies in scope: its community does, or it is one of a grid scope's.
    pub fn covers_grid(&self, community_code: &str, grid_code: &str) -> bool {
        match self {
            Scope::Grid(grids) => grids.iter().any(|g| g == grid_code),
            _ => self.covers_community(community_code),
        }
    }

    /// Whether a street lies wholly in scope.
    pub fn covers_street(&self, street_code: &str) -> bool {
        match self {
            Scope::District => true,
            Scope::Street(s) => s == street_code,
            Scope::Community(_) | Scope::Grid(_) => false,
        }
    }
}

impl FromStr for Scope {
    type Err = String;
    /// `district`, `street:510504003`, `community:510504003004` or `grid:<code>[,<code>…]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = |c: &str, n: usize| c.len() == n && c.bytes().all(|b| b.is_ascii_digit());
        match s.split_once(':') {
            None if s == "district" => Ok(Scope::District),
            Some(("street", c)) if digits(c, 9) => Ok(Scope::Street(c.to_owned())),
            Some(("community", c)) if digits(c, 12) => Ok(Scope::Community(c.to_owned())),
            Some(("grid", codes)) => {
                let grids: Vec<String> = codes.split(',').map(str::to_owned).collect();
                let fine = |g: &String| {
                    (1..=40).contains(&g.chars().count())
                        && !g.chars().any(|c| c.is_whitespace() || c == ':')
                };
                if grids.iter().all(fine) {
                    Ok(Scope::Grid(grids))
                } else {
                    Err(format!("grid scope \"{s}\" needs grid codes (1–40 characters, no spaces) separated by commas"))
                }
            }
            _ => Err(format!("unknown scope \"{s}\" (district, street:<9-digit code>, community:<12-digit code> or grid:<code>[,<code>…])")),
        }
    }
}

impl TryFrom<String> for Scope {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.to_string()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::District => f.write_str("district"),
            Scope::Street(c) => write!(f, "street:{c}"),
            Scope::Community(c) => write!(f, "community:{c}"),
            Scope::Grid(g) => write!(f, "grid:{}", g.join(",")),
        }
    }
}

/// Where a feature sits, for the scope check: a street (by code) or a community (by code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    Street(&'a str),
    Community(&'a str),
    /// A grid of a community (a unit placed in a grid, or grid work recorded there).
    Grid {
        community: &'a str,
        grid: &'a str,
    },
    /// Beyond every street (a way outside the mapped streets): only a district-wide scope.
    District,
}

impl<'a> Place<'a> {
    /// Where a feature sits: a street by its code, a community by its code, the community of
    /// any other feature; a way by its street (beyond every street: the district).
    pub fn of(feature: &'a Feature) -> Place<'a> {
        match feature {
            Feature::Street(s) => Place::Street(&s.code),
            Feature::Community(c) => Place::Community(&c.code),
            Feature::Grid(g) => Place::Community(&g.community_code),
            Feature::Compound(c) => Place::in_grid(&c.community_code, c.grid_code.as_deref()),
            Feature::Building(b) => Place::in_grid(&b.community_code, b.grid_code.as_deref()),
            Feature::Gate(g) => Place::Community(&g.community_code),
            Feature::Station(s) => Place::Community(&s.community_code),
            Feature::ServiceSpace(s) => Place::Community(&s.community_code),
            Feature::Way(w) => w
                .street_code
                .as_deref()
                .map_or(Place::District, Place::Street),
        }
    }
}

impl<'a> Place<'a> {
    /// A community, or its grid when there is one.
    pub fn in_grid(community: &'a str, grid: Option<&'a str>) -> Place<'a> {
        grid.map_or(Place::Community(community), |grid| Place::Grid {
            community,
            grid,
        })
    }

    /// Checks that the place lies in `scope`; the refusal names both.
    pub fn check_within(self, scope: &Scope) -> Result<(), Denied> {
        if self.within(scope) {
            Ok(())
        } else {
            Err(Denied::Scope {
                scope: scope.clone(),
                place: self.to_string(),
            })
        }
    }

    /// Whether the place lies in `scope`.
    pub fn within(self, scope: &Scope) -> bool {
        match self {
            Place::Street(code) => scope.covers_street(code),
            Place::Community(code) => scope.covers_community(code),
            Place::Grid { community, grid } => scope.covers_grid(community, grid),
            Place::District => *scope == Scope::District,
        }
    }
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Street(c) => write!(f, "street {c}"),
            Place::Community(c) => write!(f, "community {c}"),
            Place::Grid { community, grid } => write!(f, "grid {grid} of community {community}"),
            Place::District => f.write_str("the district beyond its streets"),
        }
    }
}

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("a {role} does not change {layer}")]
    Layer { role: Role, layer: Layer },
    #[error("{place} lies outside your scope ({scope})")]
    Scope { scope: Scope, place: String },
    #[error("an organisation does not change {layer}: only the service spaces it operates")]
    NotOperated { layer: Layer },
    #[error("a {role} does not record {what}")]
    Record { role: Role, what: &'static str },
    #[error("{layer} {id} is stored in a form that cannot be read, so where it lies is unknown: only an admin with the whole district in scope repairs it")]
    Unreadable { layer: Layer, id: i64 },
}

impl Denied {
    /// The same refusal in Chinese, for the staff who see it on the map.
    pub fn zh(&self) -> String {
        match self {
            Denied::Layer { role, layer } => {
                format!("{}不能修改{}", role.title_zh(), layer.title_zh())
            }
            Denied::Scope { scope, place } => {
                format!("{place} 不在您的管辖范围（{scope}）内")
            }
            Denied::NotOperated { layer } => {
                format!("组织不能修改{}：只能修改其运营的服务空间", layer.title_zh())
            }
            Denied::Record { role, what } => format!("{}不能登记{what}", role.title_zh()),
            Denied::Unreadable { layer, id } => format!(
                "{}{id} 的存储记录无法读取，不知其位置：只有管辖全区的管理员可以修复",
                layer.title_zh()
            ),
        }
    }
}

/// Checks an account name: 2 to 64 ASCII letters, digits or `_ . @ -` (it appears in audit
/// entries, URLs and the command line). The stores apply it on every write and every read.
pub fn check_account_name(name: &str) -> Result<(), String> {
    let valid = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.@-".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "name: \"{}\" must be 2–64 letters, digits or _ . @ -",
            name.chars().take(80).collect::<String>()
        ))
    }
}

/// Checks that `role` within `scope` may repair or delete a stored feature whose row cannot be
/// read: its place is unknown, so only an admin whose scope is the whole district may.
pub fn may_repair(role: Role, scope: &Scope, layer: Layer, id: i64) -> Result<(), Denied> {
    if role == Role::Admin && *scope == Scope::District {
        Ok(())
    } else {
        Err(Denied::Unreadable { layer, id })
    }
}

/// Checks that an organisation's account within `scope` may change `feature`: a service space
/// its organisation operates (`operates`: their ids), kept in scope; nothing else, and it
/// creates and deletes nothing.
pub fn may_operate(scope: &Scope, operates: &[i64], feature: &Feature) -> Result<(), Denied> {
    match feature {
        Feature::ServiceSpace(s) if s.id != 0 && operates.contains(&s.id) => {
            Place::of(feature).check_within(scope)
        }
        _ => Err(Denied::NotOperated {
            layer: feature.layer(),
        }),
    }
}

/// Checks that `role` within `scope` may change a feature of `layer` at `place`.
pub fn may_change(role: Role, scope: &Scope, layer: Layer, place: Place<'_>) -> Result<(), Denied> {
    if !role.edits(layer) {
        return Err(Denied::Layer { role, layer });
    }
    place.check_within(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_print_and_nest() {
        for s in ["district", "street:510504003", "community:510504003004"] {
            assert_eq!(s.parse::<Scope>().map(|x| x.to_string()).as_deref(), Ok(s));
        }
        assert!("street:5105".parse::<Scope>().is_err());
        assert!("city".parse::<Scope>().unwrap_err().contains("city"));
        let street: Scope = "street:510504003".parse().expect("scope");
        assert!(street.covers_community("510504003004"));
        assert!(!street.covers_community("510504004001"));
        assert!(!Scope::Community("510504003004".into()).covers_street("510504003"));
    }

    #[test]
    fn roles_edit_their_layers_inside_their_scope_only() {
        let longnan = Scope::Community("510504003004".into());
        assert!(may_change(
            Role::Staff,
            &longnan,
            Layer::Compounds,
            Place::Community("510504003004")
        )
        .is_ok());
        assert!(matches!(
            may_change(
                Role::Staff,
                &longnan,
                Layer::Compounds,
                Place::Community("510504003001")
            ),
            Err(Denied::Scope { .. })
        ));
        assert!(matches!(
            may_change(
                Role::Staff,
                &longnan,
                Layer::Grids,
                Place::Community("510504003004")
            ),
            Err(Denied::Layer { .. })
        ));
        assert!(may_change(
            Role::Planner,
            &longnan,
            Layer::Grids,
            Place::Community("510504003004")
        )
        .is_ok());
        assert!(may_change(
            Role::Viewer,
            &Scope::District,
            Layer::Stations,
            Place::Community("510504003004")
        )
        .is_err());
        assert!(may_change(
            Role::Admin,
            &Scope::District,
            Layer::Streets,
            Place::Street("510504003")
        )
        .is_ok());
        assert!(may_change(
            Role::Admin,
            &"street:510504003".parse().expect("s"),
            Layer::Streets,
            Place::Street("510504004")
        )
        .is_err());
    }
}
