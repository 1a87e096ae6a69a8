//! Text cells of exported CSV that no spreadsheet runs as a formula (CSV formula injection).
//!
//! Excel, WPS and LibreOffice treat a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage
//! return as a formula: a compound renamed `=HYPERLINK("http://x.example/","点击")` becomes a live
//! link in the spreadsheet of whoever opens the export. As OWASP advises, such a text cell is
//! written with a leading `'`, the spreadsheet's own "this is text" mark, so it reads the same to
//! a person. The escaping is reversible, so an exported CSV imports back unchanged:
//!
//! - [`neutralize`] prefixes one `'` to a cell made of zero or more `'` and then a formula
//!   character (`=1` → `'=1`, and a name that really is `'=1` → `''=1`);
//! - [`restore`] (the CSV importer) removes one `'` from a cell made of one or more `'` and then a
//!   formula character (`'=1` → `=1`, `''=1` → `'=1`).
//!
//! Every other cell (`'hello`, `3号院`, an empty cell) passes both ways unchanged. Only text cells
//! go through here: numbers are written as numbers, so `-3.5` stays a number.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula when they come first.
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `s` is zero or more `'` followed by a formula character: the shape that is escaped.
fn formula_shaped(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(FORMULA_START)
}

/// A text cell as written to a CSV export: prefixed with `'` when a spreadsheet would run it.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if formula_shaped(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A CSV cell as imported: the `'` that [`neutralize`] added removed again.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_shaped(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to four characters over an alphabet of quotes, formula characters and
    /// ordinary ones.
    fn all_short_strings() -> Vec<String> {
        let alphabet = ['\'', '=', '+', '-', '@', '\t', '\r', 'a', '1', '号'];
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..4 {
            last = last
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn no_exported_cell_starts_a_formula_and_every_cell_imports_back_unchanged() {
        for s in all_short_strings() {
            let cell = neutralize(&s);
            assert!(!cell.starts_with(FORMULA_START), "{s:?} → {cell:?}");
            assert_eq!(restore(&cell), s, "{s:?} → {cell:?}");
        }
    }

    #[test]
    fn only_formula_shaped_text_changes_and_reads_the_same_after_the_mark() {
        let link = "=HYPERLINK(\"http://x.example/\",\"点击\")";
        assert_eq!(neutralize(link), format!("'{link}"));
        assert_eq!(neutralize("'=1+1"), "''=1+1");
        assert_eq!(neutralize("-5"), "'-5");
        assert_eq!(neutralize("\tx"), "'\tx");
        for plain in ["龙南社区", "'hello", "", "3-1号楼", "a=b"] {
            assert!(matches!(neutralize(plain), Cow::Borrowed(_)), "{plain}");
            assert_eq!(restore(plain), plain);
        }
    }
}
