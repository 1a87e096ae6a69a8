//! A table without coordinates as a ledger that updates what exists: each row's community
//! (社区代码 or 社区 by name), compound (小区名称, or 所属小区 in a building ledger) and building
//! number (楼栋号) name a feature of the store; its other cells, typed like any table's, are the
//! values to set ([`engine::ledger`]).

use engine::columns::Column;
use engine::ledger::{self, LedgerRow};
use engine::{Layer, Problem, Snapshot};

use super::table::{column_of, header_at, typed_cell, Role, Table};
use super::FileRead;

/// Reads a ledger of `layer` against the store's data.
pub fn read(
    layer: Layer,
    table: &Table,
    roles: &[Role],
    existing: &Snapshot,
    skip_unmatched: bool,
) -> Result<FileRead, Vec<Problem>> {
    let mut rows = Vec::with_capacity(table.rows.len());
    let mut problems = Vec::new();
    for row in &table.rows {
        let mut ledger_row = LedgerRow {
            row: row.number,
            ..LedgerRow::default()
        };
        for (c, role) in roles.iter().enumerate() {
            let Some(text) = row.cells.get(c).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                continue;
            };
            let header = header_at(&table.headers, c).unwrap_or("");
            let Role::Known(Column::Field(def)) = role else {
                continue;
            };
            let key = def.name;
            match (layer, key) {
                (_, "community_code") => ledger_row.community = Some(text.to_owned()),
                (Layer::Compounds, "name") | (Layer::Buildings, "compound_id") => {
                    ledger_row.compound = Some(text.to_owned());
                }
                (Layer::Buildings, "name") => ledger_row.building = Some(text.to_owned()),
                _ => match typed_cell(layer, key, text, row.number, Some(header)) {
                    Ok(v) => {
                        ledger_row.values.insert(key.to_owned(), v);
                    }
                    Err(p) => problems.push(*p),
                },
            }
        }
        rows.push(ledger_row);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // A problem about a matching key names the column that holds it.
    let headed = |mut p: Problem| {
        p.column = column_of(roles, &table.headers, &p.field).map(str::to_owned);
        p
    };
    let update = ledger::apply(existing, layer, &rows, skip_unmatched)
        .map_err(|ps| ps.into_iter().map(headed).collect::<Vec<_>>())?;
    let (what, keys) = if layer == Layer::Compounds {
        ("compounds", "community and compound name")
    } else {
        ("buildings", "community, compound and building number")
    };
    let mut notes = vec![format!(
        "a ledger without coordinates: rows updating existing {what} (matched by {keys}): {}",
        update.features.len() - update.created
    )];
    if update.created > 0 {
        notes.push(format!(
            "buildings the map lacked, created at their compound's interior point and marked \
             位置待核实 (approximate location): {}",
            update.created
        ));
    }
    notes.extend(
        update
            .skipped
            .into_iter()
            .map(|p| format!("skipped (--skip-unmatched): {}", headed(p))),
    );
    Ok(FileRead {
        features: update.features,
        notes,
    })
}
