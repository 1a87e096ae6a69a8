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
        .map_err(|e| {
            vec![Problem::new(
                "csv",
                format!("unreadable header row: {e}"),
                format!("表头行无法读取：{}", csv_error_zh(&e)),
            )]
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    // Line numbers counted from byte offsets: the csv crate's own count is one short after a
    // CRLF header, which is how Excel and Python write CSV.
    let mut lines = LineCounter::new(text);
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) => rows.push(TableRow {
                number: r.position().map_or(i + 2, |p| lines.line_at(p.byte())),
                cells: r.iter().map(str::to_owned).collect(),
                geometry: None,
            }),
            Err(e) => {
                let line = e.position().map_or(i + 2, |p| lines.line_at(p.byte()));
                problems.push(
                    Problem::new(
                        "csv",
                        format!("unreadable row: {e}"),
                        format!("这一行无法读取：{}", csv_error_zh(&e)),
                    )
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

/// Why the CSV reader refused a row, in Chinese (the usual cases in words, others with the
/// reader's own text).
fn csv_error_zh(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("这一行有 {len} 个单元格，而前面的行有 {expected_len} 个"),
        csv::ErrorKind::Utf8 { .. } => "含有不是 UTF-8 编码的文字".to_owned(),
        _ => format!("格式有误（{e}）"),
    }
}

/// The line (1-based) of byte offsets met in increasing order.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, byte: u64) -> usize {
        let mut to = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // The csv crate may place a record at the line ends before it (the LF of a CRLF, a
        // skipped blank line): the record starts after them.
        while matches!(self.text.get(to), Some(b'\r' | b'\n')) {
            to += 1;
        }
        if to > self.offset {
            self.line += self.text[self.offset..to]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = to;
        }
        self.line
    }
}
