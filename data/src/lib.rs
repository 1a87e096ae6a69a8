//! The demo district 龙马潭区 and the generator of larger synthetic cities.
//!
//! - [`demo_district`]: 龙马潭区 (Luzhou) with its real streets and communities and their NBS
//!   codes on generated shapes; 红星街道 in detail, 龙南社区 as the source documents describe it.
//!   Its ways 道路/步行路径 are roads along the boundaries, lanes, riverside roads, bridges and
//!   every 红星街道 compound's paths to its gates; the 沱江 ([`demo_rivers`]) runs through
//!   红星街道 between its communities and is crossed by bridges only.
//! - [`synthetic_city`]: a city of any number of buildings for benchmarks (`--scale`), with a
//!   walking network of about one edge per building ([`synthetic_city_with`] leaves it out).
//!
//! Both are deterministic, and every feature passes the engine's validation: streets tile the
//! district, communities their street and grids their community, without gaps or overlaps;
//! compounds lie inside their grid and buildings inside their compound; ways meet where they
//! share a vertex, and each lies in the street holding its middle.

mod contents;
mod demo;
mod demo_ways;
mod demo_work;
pub mod divisions;
mod layout;
mod net;
mod paths;
mod rivers;
mod synthetic;
mod synthetic_ways;

pub use demo::{
    demo_district, district_boundary, AOTI_COMMUNITY, DEMO_CENTRE, DISTRICT_CODE, DISTRICT_NAME,
    HONGXING_STREET, LONGNAN_COMMUNITY, LONGNAN_HOUSEHOLDS, LONGNAN_POPULATION,
    RIVER_DIVIDED_COMMUNITIES, RIVER_EXAMPLE_COMMUNITY, RIVER_EXAMPLE_COMPOUND, RIVER_FACILITIES,
    RIVER_FACILITY, UNDERSERVED_COMMUNITIES, UNDERSERVED_RADIUS_M,
};
pub use demo_work::{demo_grid_work, DemoWork};
pub use rivers::{demo_rivers, DemoRiver};
pub use synthetic::{synthetic_city, synthetic_city_with, SyntheticOptions};
