//! An import's problems as a spreadsheet for whoever fixes the ledger: one row per problem with
//! its file, row, column, value, field, feature and reason — 原因 in Chinese, then the same in English
//! for whoever asks the developers — Chinese headers; `.xlsx` (`rust_xlsxwriter`) or formula-safe
//! CSV ([`super::formula`]) by the file's extension.

use std::path::Path;

use engine::Problem;
use rust_xlsxwriter::{Format, Workbook};

const HEADER: [&str; 9] = [
    "文件",
    "行",
    "列",
    "值",
    "字段",
    "要素序号",
    "要素编号",
    "原因",
    "原因（英文）",
];

/// One problem as the cells of its row (numbers as text; empty where unknown).
fn cells(file: Option<&str>, p: &Problem) -> [String; 9] {
    let opt = |v: Option<usize>| v.map_or_else(String::new, |n| n.to_string());
    [
        file.unwrap_or("").to_owned(),
        opt(p.row),
        p.column.clone().unwrap_or_default(),
        p.value.clone().unwrap_or_default(),
        p.field.clone(),
        opt(p.index),
        p.id.clone().unwrap_or_default(),
        p.reason_zh.clone(),
        p.reason.clone(),
    ]
}

/// Writes `problems` to `out` (`.xlsx`, else CSV).
pub fn write(out: &Path, problems: &[(Option<&str>, &Problem)]) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", out.display());
    let xlsx = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if xlsx {
        let mut workbook = Workbook::new();
        let ws = workbook.add_worksheet();
        ws.set_name("导入问题").map_err(|e| fail(&e))?;
        let bold = Format::new().set_bold();
        for (c, h) in (0u16..).zip(HEADER) {
            ws.write_string_with_format(0, c, h, &bold)
                .map_err(|e| fail(&e))?;
        }
        for (r, (file, p)) in (1u32..).zip(problems) {
            for (c, cell) in (0u16..).zip(cells(*file, p)) {
                match cell.parse::<f64>() {
                    // 行 and 要素序号 are numbers; a value stays as the file wrote it.
                    Ok(n) if c == 1 || c == 5 => ws.write_number(r, c, n),
                    _ => ws.write_string(r, c, cell),
                }
                .map_err(|e| fail(&e))?;
            }
        }
        ws.set_freeze_panes(1, 0).map_err(|e| fail(&e))?;
        ws.autofit();
        return workbook.save(out).map_err(|e| fail(&e));
    }
    let mut w = csv::Writer::from_path(out).map_err(|e| fail(&e))?;
    w.write_record(HEADER).map_err(|e| fail(&e))?;
    for (file, p) in problems {
        let row = cells(*file, p).map(|c| super::formula::neutralize(&c).into_owned());
        w.write_record(&row).map_err(|e| fail(&e))?;
    }
    w.flush().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_list_in_csv_names_row_column_and_reason_and_keeps_formulas_as_text() {
        let dir = tempfile::tempdir().expect("tmp");
        let out = dir.path().join("problems.csv");
        let p = Problem::new(
            "households",
            "\"约30户\" is not a whole number",
            "“约30户”不是整数",
        )
        .at(Some(0), None)
        .in_table(2, Some("户数"))
        .with_value("约30户");
        let q = Problem::new("name", "=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")");
        write(&out, &[(Some("台账.xlsx"), &p), (None, &q)]).expect("written");
        let text = std::fs::read_to_string(&out).expect("read");
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(
            rows[0],
            "文件,行,列,值,字段,要素序号,要素编号,原因,原因（英文）"
        );
        assert_eq!(
            rows[1],
            "台账.xlsx,2,户数,约30户,households,0,,“约30户”不是整数,\"\"\"约30户\"\" is not a whole number\""
        );
        assert_eq!(
            rows[2], ",,,,name,,,\"'=HYPERLINK(\"\"x\"\")\",\"'=HYPERLINK(\"\"x\"\")\"",
            "a formula stays text"
        );
    }
}
