//! CSV text as a [`Table`]: the first row heads the columns; each row is numbered by the line
//! it starts on, as a text editor or Excel shows it.

use engine::Problem;

use super::table::{Table, TableRow};

/// Splits CSV text (already decoded) into a table; spaces around cells are kept for the table
/// reader to trim.
pub fn table(text: &str) -> Result<Table, Vec<Problem>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![Problem::new("csv", format!("unreadable header row: {e}"))])?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) => rows.push(TableRow {
                number: r
                    .position()
                    .map_or(i + 2, |p| usize::try_from(p.line()).unwrap_or(usize::MAX)),
                cells: r.iter().map(str::to_owned).collect(),
                geometry: None,
            }),
            Err(e) => {
                let line = e
                    .position()
                    .map_or(i + 2, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
                problems.push(
                    Problem::new("csv", format!("unreadable row: {e}"))
                        .at(Some(i), None)
                        .in_table(line, None),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(Table { headers, rows })
    } else {
        Err(problems)
    }
}
