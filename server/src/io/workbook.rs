//! Excel ledgers (台账) as community staff keep them, read with calamine: the first sheet or a
//! named one; title rows above the header (a title merged across the columns, a date line)
//! skipped; a header of two rows with merged group cells (人口情况 over 常住人口 and 60岁以上)
//! read as one; blank rows and total rows (合计, 小计, 总计) at the foot left out. Rows keep the
//! numbers Excel shows.

use std::path::Path;

use calamine::{Data, Dimensions, Reader, Sheets};
use engine::columns;
use engine::reason::{listed, quoted};
use engine::{Layer, Problem, Reason};

use super::table::{Table, TableRow};
use super::{FileRead, Source};

/// How far down a sheet the header is looked for.
const HEADER_SEARCH_ROWS: usize = 20;

/// First cells that mark a total row, not a feature.
const TOTAL_ROWS: &[&str] = &["合计", "小计", "总计", "总数", "合 计", "total"];

/// The sheets of a workbook that name a layer ([`super::ledger::sheet_layer`]), as a ledger
/// exported by the atlas has them, in sheet order.
pub fn layer_sheets(path: &Path) -> Result<Vec<(Layer, String)>, String> {
    let workbook =
        calamine::open_workbook_auto(path).map_err(|e| format!("not a readable workbook: {e}"))?;
    Ok(workbook
        .sheet_names()
        .into_iter()
        .filter_map(|s| super::ledger::sheet_layer(&s).map(|l| (l, s)))
        .collect())
}

/// Reads a sheet of a workbook as features of one layer.
pub fn read(layer: Layer, path: &Path, source: &Source) -> Result<FileRead, Vec<Problem>> {
    let fail = |en: String, zh: String| vec![Problem::because("file", Reason::new(en, zh))];
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| {
        fail(
            format!("not a readable workbook: {e}"),
            format!("无法读取这个 Excel 文件（{e}）"),
        )
    })?;
    let names = workbook.sheet_names();
    let sheet = chosen_sheet(&names, source.sheet.as_deref())
        .map_err(|reason| vec![Problem::because("file", reason)])?;
    source.detected.record(|d| {
        d.sheet = Some(sheet.clone());
        d.sheets.clone_from(&names);
    });
    let range = workbook.worksheet_range(&sheet).map_err(|e| {
        fail(
            format!("sheet \"{sheet}\" cannot be read: {e}"),
            format!("工作表{}无法读取（{e}）", quoted(&sheet)),
        )
    })?;
    let merges = merged_cells(&mut workbook, &sheet);
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    let grid: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    drop(range);
    let merges = in_grid(merges, first_row, first_col);
    let header_row = find_header(layer, &grid).ok_or_else(|| {
        fail(
            format!("sheet \"{sheet}\" has no header row (a row naming the columns)"),
            format!(
                "工作表{}中找不到表头行（写有各列名称的一行）",
                quoted(&sheet)
            ),
        )
    })?;
    let two_rows = second_header_row(&grid, &merges, header_row);
    let headers = header_names(layer, &grid, &merges, header_row, two_rows);
    let data_start = header_row + if two_rows { 2 } else { 1 };
    let (rows, totals) = data_rows(grid, data_start, first_row);
    let table = Table { headers, rows };
    let crs = source.crs.unwrap_or_default();
    let header_rows = if two_rows {
        format!(
            "rows {}–{}",
            first_row + header_row + 1,
            first_row + header_row + 2
        )
    } else {
        format!("row {}", first_row + header_row + 1)
    };
    source.detected.record(|d| {
        let first = first_row + header_row + 1;
        d.header_rows = Some([first, first + usize::from(two_rows)]);
        let from = if source.crs.is_some() {
            "declared"
        } else {
            "default"
        };
        d.crs = Some(super::detected::CrsUse::new(crs, from));
    });
    let read = super::table::read_table(layer, &table, crs, source)?;
    let features = read.features;
    let mut notes = vec![format!("sheet \"{sheet}\", header {header_rows}")];
    match header_row {
        0 => {}
        1 => notes.push(format!(
            "title row {} above the header skipped",
            first_row + 1
        )),
        n => notes.push(format!(
            "title rows {}–{} above the header skipped",
            first_row + 1,
            first_row + n
        )),
    }
    if !totals.is_empty() {
        notes.push(format!(
            "total rows left out: {}",
            totals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    notes.extend(read.notes);
    Ok(FileRead { features, notes })
}

/// Merged cells in grid coordinates (rows and columns relative to the range read, which starts
/// at `first_row`, `first_col`).
fn in_grid(merges: Vec<Dimensions>, first_row: usize, first_col: usize) -> Vec<Dimensions> {
    merges
        .into_iter()
        .filter_map(|m| {
            let shift = |(r, c): (u32, u32)| {
                Some((
                    (r as usize).checked_sub(first_row)? as u32,
                    (c as usize).checked_sub(first_col)? as u32,
                ))
            };
            Some(Dimensions {
                start: shift(m.start)?,
                end: shift(m.end)?,
            })
        })
        .collect()
}

/// The sheet to read: the one named with `--sheet`, else the first.
fn chosen_sheet(names: &[String], wanted: Option<&str>) -> Result<String, Reason> {
    let Some(s) = wanted else {
        return names
            .first()
            .cloned()
            .ok_or_else(|| Reason::new("the workbook has no sheets", "工作簿中没有任何工作表"));
    };
    names
        .iter()
        .find(|n| n.trim() == s.trim())
        .cloned()
        .ok_or_else(|| {
            Reason::new(
                format!("no sheet \"{s}\"; the sheets are {}", names.join(", ")),
                format!(
                    "没有名为{}的工作表；工作表有：{}",
                    quoted(s),
                    listed(names.iter().map(|n| quoted(n)))
                ),
            )
        })
}

/// The rows under the header that hold data, numbered as Excel shows them, and the numbers of
/// the total rows left out.
fn data_rows(
    grid: Vec<Vec<String>>,
    start: usize,
    first_row: usize,
) -> (Vec<TableRow>, Vec<usize>) {
    let mut totals = Vec::new();
    let rows = grid
        .into_iter()
        .enumerate()
        .skip(start)
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .filter(|(i, cells)| {
            let first = cells
                .iter()
                .map(|c| c.trim())
                .find(|c| !c.is_empty())
                .unwrap_or("");
            let total = TOTAL_ROWS.iter().any(|t| first.eq_ignore_ascii_case(t));
            if total {
                totals.push(first_row + i + 1);
            }
            !total
        })
        .map(|(i, cells)| TableRow {
            number: first_row + i + 1,
            cells,
            geometry: None,
        })
        .collect();
    (rows, totals)
}

/// The merged cells of a sheet (xlsx and xls keep them; other formats have none).
fn merged_cells(
    workbook: &mut Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
) -> Vec<Dimensions> {
    match workbook {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A cell as table text: whole numbers without `.0`, other numbers in full precision.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        other => other.to_string(),
    }
}

/// The header row: the first of the top rows that names a known column, else the first with
/// two or more filled cells (a title merged across the columns fills one).
fn find_header(layer: Layer, grid: &[Vec<String>]) -> Option<usize> {
    let filled = |row: &[String]| row.iter().filter(|c| !c.trim().is_empty()).count();
    let top = grid.iter().take(HEADER_SEARCH_ROWS).enumerate();
    top.clone()
        .find(|(_, row)| {
            filled(row) >= 2 && row.iter().any(|c| columns::column(layer, c).is_some())
        })
        .or_else(|| top.clone().find(|(_, row)| filled(row) >= 2))
        .map(|(i, _)| i)
}

/// Whether the row under the header continues it: a cell of the header is merged down into it
/// or across columns above it, or it fills only columns the header row leaves blank or groups,
/// holding no numbers.
fn second_header_row(grid: &[Vec<String>], merges: &[Dimensions], header: usize) -> bool {
    let Some(next) = grid.get(header + 1) else {
        return false;
    };
    let h = header as u32;
    let merged = merges
        .iter()
        .any(|m| m.start.0 == h && (m.end.0 > h || m.end.1 > m.start.1));
    let blank_above = next.iter().enumerate().any(|(c, cell)| {
        !cell.trim().is_empty() && grid[header].get(c).is_none_or(|t| t.trim().is_empty())
    });
    let no_numbers = next
        .iter()
        .all(|c| c.trim().is_empty() || columns::number_text(c).is_none());
    (merged || blank_above) && no_numbers && next.iter().any(|c| !c.trim().is_empty())
}

/// The column names: with a two-row header, the lower cell where filled (常住人口 under
/// 人口情况), else the upper one; a merged upper cell counts for every column it spans.
fn header_names(
    layer: Layer,
    grid: &[Vec<String>],
    merges: &[Dimensions],
    header: usize,
    two_rows: bool,
) -> Vec<String> {
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    let upper = |c: usize| -> String {
        let own = grid[header].get(c).map_or("", |s| s.trim());
        if !own.is_empty() {
            return own.to_owned();
        }
        merges
            .iter()
            .find(|m| {
                (m.start.0..=m.end.0).contains(&(header as u32))
                    && (m.start.1..=m.end.1).contains(&(c as u32))
            })
            .and_then(|m| grid.get(m.start.0 as usize)?.get(m.start.1 as usize))
            .map_or_else(String::new, |s| s.trim().to_owned())
    };
    (0..width)
        .map(|c| {
            let top = upper(c);
            let lower = if two_rows {
                grid[header + 1].get(c).map_or("", |s| s.trim()).to_owned()
            } else {
                String::new()
            };
            if lower.is_empty() {
                return top;
            }
            let joined = format!("{top}{lower}");
            if columns::column(layer, &lower).is_none() && columns::column(layer, &joined).is_some()
            {
                joined
            } else {
                lower
            }
        })
        .collect()
}
