//! How office files name the schema's fields and values: a column is a field by its wire name,
//! its Chinese or English label, or one of the aliases ledgers use (户数/总户数/住户数, 经度/纬度 …);
//! an enum value by its wire name or its Chinese or English label.

use crate::schema::{self, FieldDef};
use crate::Layer;

/// What a column of an incoming table holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Column {
    /// A field of the layer's schema.
    Field(&'static FieldDef),
    /// The feature's id or stored version.
    Id,
    Version,
    /// Longitude, latitude (or easting, northing) of a point.
    Lon,
    Lat,
    /// The geometry as WKT.
    Wkt,
}

/// Other names ledgers give a field (any layer that has it).
const FIELD_ALIASES: &[(&str, &[&str])] = &[
    ("households", &["户数", "总户数", "住户数", "户"]),
    ("population", &["人口", "常住人口数", "居住人口", "人数"]),
    (
        "elderly",
        &[
            "60岁以上",
            "60岁以上人口",
            "60岁以上人数",
            "老年人数",
            "老年人口",
        ],
    ),
    (
        "name",
        &["名字", "小区名称", "楼栋号", "楼号", "站点名称", "阵地名称"],
    ),
    (
        "community_code",
        &[
            "社区代码",
            "社区编码",
            "所属社区代码",
            "社区",
            "社区名称",
            "所属社区名称",
        ],
    ),
    ("street_code", &["街道代码", "街道编码"]),
    ("grid_code", &["网格编号", "网格代码", "所属网格"]),
];

/// Names a building ledger gives the building's compound (elsewhere 小区名称 is a compound's own
/// name).
const BUILDING_COMPOUND: &[&str] = &["小区名称", "小区", "院落名称", "小区（院落）", "小区/院落"];

const LON: &[&str] = &["lon", "lng", "long", "longitude", "x", "经度", "东经"];
const LAT: &[&str] = &["lat", "latitude", "y", "纬度", "北纬"];
const WKT: &[&str] = &["wkt", "geometry_wkt", "几何"];

/// The column a header names in `layer`, if any (spaces around it and letter case ignored).
pub fn column(layer: Layer, header: &str) -> Option<Column> {
    let h = header.trim().trim_start_matches('\u{feff}').trim();
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(h));
    if let Some(def) = schema::fields(layer).iter().find(|d| {
        d.name.eq_ignore_ascii_case(h) || d.label_zh == h || d.label_en.eq_ignore_ascii_case(h)
    }) {
        return Some(Column::Field(def));
    }
    if layer == Layer::Buildings && is(BUILDING_COMPOUND) {
        return schema::field(layer, "compound_id").map(Column::Field);
    }
    if let Some((field, _)) = FIELD_ALIASES.iter().find(|(_, names)| is(names)) {
        if let Some(def) = schema::field(layer, field) {
            return Some(Column::Field(def));
        }
    }
    match () {
        () if is(&["id", "编号", "要素编号"]) => Some(Column::Id),
        () if is(&["version", "版本"]) => Some(Column::Version),
        () if is(LON) => Some(Column::Lon),
        () if is(LAT) => Some(Column::Lat),
        () if is(WKT) => Some(Column::Wkt),
        () => None,
    }
}

/// Every header the layer recognises — field names and labels, aliases, id and coordinate
/// columns — for reading names a format has cut short (a DBF keeps 10 bytes of a column name).
pub fn known_headers(layer: Layer) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = schema::fields(layer)
        .iter()
        .flat_map(|d| [d.name, d.label_zh, d.label_en])
        .collect();
    if layer == Layer::Buildings {
        out.extend_from_slice(BUILDING_COMPOUND);
    }
    for (field, names) in FIELD_ALIASES {
        if schema::field(layer, field).is_some() {
            out.extend_from_slice(names);
        }
    }
    out.extend_from_slice(&["id", "编号", "要素编号", "version", "版本"]);
    out.extend_from_slice(LON);
    out.extend_from_slice(LAT);
    out.extend_from_slice(WKT);
    out
}

/// A name as people vary it: spaces (also full-width) dropped, full-width letters and digits as
/// ASCII, ASCII letters in lower case. Ledgers and files are matched to the atlas's names by it.
pub fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '！'..='～' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The wire name of an enum value given by wire name or label (spaces around it ignored).
pub fn enum_value(def: &FieldDef, text: &str) -> Option<&'static str> {
    let t = text.trim();
    def.domain_enum()?
        .values
        .iter()
        .find(|v| v.name == t || v.label_zh == t || v.label_en.eq_ignore_ascii_case(t))
        .map(|v| v.name)
}

/// A count or number as people type it: surrounding spaces, thousands separators (`1,234`,
/// `1，234`) and full-width digits (`１２３`) are read; anything else is `None`.
pub fn number_text(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.trim().chars() {
        match c {
            '０'..='９' => out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '．' => out.push('.'),
            '－' => out.push('-'),
            ',' | '，' | ' ' | '\u{3000}' => {}
            c if c.is_ascii_digit() || c == '.' || c == '-' => out.push(c),
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The layer's field names closest to an unknown header (at most three), for the message.
pub fn closest_fields(layer: Layer, header: &str) -> Vec<&'static str> {
    let h = header.trim().to_lowercase();
    let mut scored: Vec<(usize, &'static str)> = schema::fields(layer)
        .iter()
        .flat_map(|d| [(d.name, d.name), (d.label_zh, d.name)])
        .map(|(label, name)| (strsim::levenshtein(&h, &label.to_lowercase()), name))
        .collect();
    scored.sort_unstable();
    let mut out: Vec<&'static str> = Vec::new();
    for (_, name) in scored {
        if !out.contains(&name) {
            out.push(name);
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Field names of a layer as a Chinese message lists them: each by its Chinese label with the
/// name to type in brackets (`户数（households）、常住人口（population）`).
pub fn labelled_zh(layer: Layer, names: &[&str]) -> String {
    crate::reason::listed(names.iter().map(|n| match schema::field(layer, n) {
        Some(def) => format!("{}（{n}）", def.label_zh),
        None => (*n).to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(layer: Layer, header: &str) -> Option<&'static str> {
        match column(layer, header)? {
            Column::Field(d) => Some(d.name),
            _ => None,
        }
    }

    #[test]
    fn ledger_headers_name_fields_by_name_label_or_alias() {
        assert_eq!(field(Layer::Compounds, "户数"), Some("households"));
        assert_eq!(field(Layer::Compounds, " 总户数 "), Some("households"));
        assert_eq!(field(Layer::Compounds, "60岁以上人口"), Some("elderly"));
        assert_eq!(field(Layer::Compounds, "Households"), Some("households"));
        assert_eq!(field(Layer::Stations, "站点类型"), Some("kind"));
        assert_eq!(column(Layer::Stations, "经度"), Some(Column::Lon));
        assert_eq!(column(Layer::Stations, "纬度"), Some(Column::Lat));
        assert_eq!(column(Layer::Stations, "\u{feff}lon"), Some(Column::Lon));
        assert_eq!(column(Layer::Stations, "备注"), None);
    }

    #[test]
    fn enum_values_by_wire_name_or_label() {
        let kind = schema::field(Layer::Stations, "kind").expect("kind");
        let label = kind.domain_enum().expect("enum").values[0];
        assert_eq!(enum_value(kind, label.label_zh), Some(label.name));
        assert_eq!(enum_value(kind, label.name), Some(label.name));
        assert_eq!(enum_value(kind, "不存在的类型"), None);
    }

    #[test]
    fn counts_as_typed_are_read_and_other_text_is_not() {
        assert_eq!(number_text(" 1,234 ").as_deref(), Some("1234"));
        assert_eq!(number_text("１２３").as_deref(), Some("123"));
        assert_eq!(number_text("3，056").as_deref(), Some("3056"));
        assert_eq!(number_text("about 300"), None);
        assert_eq!(number_text("  "), None);
    }

    #[test]
    fn an_unknown_header_suggests_the_closest_fields() {
        assert!(closest_fields(Layer::Compounds, "househols").contains(&"households"));
        let f: geojson::Feature = serde_json::from_value(serde_json::json!({
            "type": "Feature",
            "properties": { "househols": 120 },
            "geometry": { "type": "Point", "coordinates": [105.44, 28.9] }
        }))
        .expect("a feature");
        let problems = crate::Feature::from_geojson(Layer::Stations, &f).expect_err("refused");
        let unknown = problems
            .iter()
            .find(|p| p.field == "househols")
            .expect("the unknown column is named");
        assert!(unknown.reason.contains("closest: "), "{}", unknown.reason);
        assert!(
            unknown
                .reason_zh
                .contains("站点图层没有名为“househols”的字段；最接近的：")
                && unknown.reason_zh.contains("（"),
            "{}",
            unknown.reason_zh
        );
        assert_eq!(
            labelled_zh(Layer::Compounds, &["households", "population"]),
            "户数（households）、常住人口（population）"
        );
    }
}
