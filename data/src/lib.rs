//! The demo district 龙马潭区 and the generator of larger synthetic cities.
//!
//! - [`demo_district`]: 龙马潭区 (Luzhou) with its real streets and communities and their NBS
//!   codes on generated shapes; 红星街道 in detail, 龙南社区 as the source documents describe it.
//! - [`synthetic_city`]: a city of any number of buildings for benchmarks (`--scale`).
//!
//! Both are deterministic, and every feature passes the engine's validation: streets tile the
//! district, communities their street and grids their community, without gaps or overlaps;
//! compounds lie inside their grid and buildings inside their compound.

mod contents;
mod demo;
pub mod divisions;
mod layout;
mod synthetic;

pub use demo::{
    demo_district, district_boundary, AOTI_COMMUNITY, DEMO_CENTRE, DISTRICT_CODE, DISTRICT_NAME,
    HONGXING_STREET, LONGNAN_COMMUNITY, LONGNAN_HOUSEHOLDS, LONGNAN_POPULATION,
    UNDERSERVED_COMMUNITIES, UNDERSERVED_RADIUS_M,
};
pub use synthetic::synthetic_city;
