//! Layers of a GeoPackage made by QGIS or GDAL (OGC 12-128r18): the feature table named with
//! `--sheet`, the one named after the layer, or the only one; its coordinate system from
//! `gpkg_spatial_ref_sys` (an EPSG code, else the WKT definition); its attribute columns read
//! like any table's ([`super::table`]), its geometry blobs as the row's shapes.

use std::path::Path;

use engine::crs::Crs;
use engine::{Layer, Problem, Reason};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Column, ConnectOptions, Connection, Row, SqliteConnection, TypeInfo, ValueRef};

use super::table::{Table, TableRow};
use super::{FileRead, Source};

/// Reads one feature table of a GeoPackage as features of `layer`.
pub fn read(layer: Layer, path: &Path, source: &Source) -> Result<FileRead, Vec<Problem>> {
    let fail = |reason: Reason| vec![Problem::because("file", reason)];
    let read = async {
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .immutable(unchanging(path))
            .connect()
            .await
            .map_err(|e| {
                Reason::new(
                    format!("not a readable GeoPackage: {e}"),
                    format!("无法读取这个 GeoPackage 文件（{e}）"),
                )
            })?;
        let result = read_layer(&mut conn, layer, source).await;
        let _ = conn.close().await;
        result
    };
    let (table, crs, table_name) = match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle.block_on(read),
        Err(_) => tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| fail(unreadable(&e)))?
            .block_on(read),
    }
    .map_err(fail)?;
    let (crs, crs_note) = match (source.crs, crs) {
        (Some(d), Some(c)) if d != c => {
            return Err(fail(Reason::new(
                format!(
                    "--crs says {d} but the GeoPackage says {c}: leave --crs out to use the file's"
                ),
                format!(
                "--crs 指定的是 {}，而 GeoPackage 文件中是 {}：请去掉 --crs，使用文件中的坐标系",
                d.name_zh(),
                c.name_zh()
            ),
            )))
        }
        (_, Some(c)) => (c, "from the GeoPackage"),
        (Some(d), None) => (d, "--crs"),
        (None, None) => (Crs::Wgs84, "the GeoPackage names none; WGS84 assumed"),
    };
    source.detected.record(|d| {
        d.sheet = Some(table_name.clone());
        let from = match crs_note {
            "from the GeoPackage" => "prj",
            "--crs" => "declared",
            _ => "default",
        };
        d.crs = Some(super::detected::CrsUse::new(crs, from));
    });
    let read = super::table::read_table(layer, &table, crs, source)?;
    let features = read.features;
    Ok(FileRead {
        features,
        notes: vec![
            format!("layer \"{table_name}\""),
            format!("coordinates in {crs} ({crs_note})"),
        ]
        .into_iter()
        .chain(read.notes)
        .collect(),
    })
}

/// Whether the file can be read as immutable — without SQLite's file locks, which hang or fail
/// on some shared and network folders where office files live: true unless a write-ahead log
/// beside it (QGIS still editing) holds changes that only a locking read sees.
fn unchanging(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(true, |m| m.len() == 0)
}

/// A read the database refused, told as it says it.
fn unreadable(e: &dyn std::fmt::Display) -> Reason {
    Reason::new(e.to_string(), format!("读取 GeoPackage 文件时出错（{e}）"))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The chosen feature table as a [`Table`], its coordinate system and its name.
async fn read_layer(
    conn: &mut SqliteConnection,
    layer: Layer,
    source: &Source,
) -> Result<(Table, Option<Crs>, String), Reason> {
    let tables: Vec<(String, i64)> = sqlx::query_as(
        "SELECT c.table_name, COALESCE(g.srs_id, c.srs_id, 0) FROM gpkg_contents c \
         LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE c.data_type = 'features' ORDER BY c.table_name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| {
        Reason::new(
            format!("not a GeoPackage (no gpkg_contents): {e}"),
            format!("不是 GeoPackage 文件（没有 gpkg_contents 表：{e}）"),
        )
    })?;
    let (table_name, srs_id) = chosen_table(&tables, layer, source)?;
    let crs = coordinate_system(conn, *srs_id).await?;
    let geometry_column: Option<String> =
        sqlx::query_scalar("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?")
            .bind(table_name)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| unreadable(&e))?;
    let key_columns: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT name FROM pragma_table_info({}) WHERE pk > 0",
        quoted_literal(table_name)
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| unreadable(&e))?;
    let rows: Vec<SqliteRow> = sqlx::query(&format!("SELECT * FROM {}", quoted(table_name)))
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| {
            Reason::new(
                format!("layer \"{table_name}\": {e}"),
                format!("图层“{table_name}”无法读取（{e}）"),
            )
        })?;
    let Some(first) = rows.first() else {
        return Ok((Table::default(), crs, table_name.clone()));
    };
    let columns: Vec<(usize, String)> = first
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.name().to_owned()))
        .filter(|(_, n)| Some(n) != geometry_column.as_ref() && !key_columns.contains(n))
        .collect();
    let geometry_index = geometry_column
        .as_ref()
        .and_then(|g| first.columns().iter().position(|c| c.name() == g));
    let mut table = Table {
        headers: columns.iter().map(|(_, n)| n.clone()).collect(),
        rows: Vec::with_capacity(rows.len()),
    };
    for (i, row) in rows.iter().enumerate() {
        let geometry = match geometry_index {
            Some(g) => row_geometry(row, g).map_err(|e| {
                let n = i + 1;
                e.prefixed(
                    &format!("layer \"{table_name}\", feature {n}: "),
                    &format!("图层“{table_name}”第 {n} 个要素的图形："),
                )
            })?,
            None => None,
        };
        table.rows.push(TableRow {
            number: i + 1,
            cells: columns.iter().map(|(c, _)| cell_text(row, *c)).collect(),
            geometry,
        });
    }
    Ok((table, crs, table_name.clone()))
}

/// The feature table to read: the one named with `--sheet`, the one named after the layer, or
/// the only one; its name and SRS id.
fn chosen_table<'t>(
    tables: &'t [(String, i64)],
    layer: Layer,
    source: &Source,
) -> Result<(&'t String, &'t i64), Reason> {
    let chosen = match &source.sheet {
        Some(s) => tables.iter().find(|(n, _)| n == s.trim()),
        None => tables
            .iter()
            .find(|(n, _)| super::ledger::sheet_layer(n) == Some(layer))
            .or(if tables.len() == 1 {
                tables.first()
            } else {
                None
            }),
    };
    chosen.map(|(n, srs)| (n, srs)).ok_or_else(|| {
        let names: Vec<&str> = tables.iter().map(|(n, _)| n.as_str()).collect();
        Reason::new(
            format!(
                "name the layer to read with --sheet; its feature layers are {}",
                names.join(", ")
            ),
            format!(
                "请用 --sheet 指定要读取的图层；文件中的要素图层有：{}",
                engine::reason::listed(names.iter().map(|n| engine::reason::quoted(n)))
            ),
        )
    })
}

/// The geometry blob in column `g` of a row as a raw `GeoJSON` geometry; `None` when null.
fn row_geometry(row: &SqliteRow, g: usize) -> Result<Option<geojson::Value>, Reason> {
    let blob = row
        .try_get::<Option<Vec<u8>>, _>(g)
        .map_err(|e| unreadable(&e))?;
    blob.map(|b| {
        crate::store::codec::from_gpkg_blob(&b)
            .map(|g| geojson::Value::from(&g))
            .map_err(|e| Reason::new(e.clone(), format!("无法读取（{e}）")))
    })
    .transpose()
}

fn quoted_literal(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// The coordinate system of an SRS id: by EPSG code, else by its WKT; `None` when undefined
/// (GeoPackage ids 0 and -1).
async fn coordinate_system(
    conn: &mut SqliteConnection,
    srs_id: i64,
) -> Result<Option<Crs>, Reason> {
    if srs_id <= 0 {
        return Ok(None);
    }
    let (organization, code, definition): (String, i64, String) = sqlx::query_as(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys \
         WHERE srs_id = ?",
    )
    .bind(srs_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        Reason::new(
            format!("SRS {srs_id} is not in gpkg_spatial_ref_sys: {e}"),
            format!("坐标系 {srs_id} 不在 gpkg_spatial_ref_sys 表中（{e}）"),
        )
    })?;
    if organization.eq_ignore_ascii_case("EPSG") {
        let code = u32::try_from(code).map_err(|e| unreadable(&e))?;
        return Crs::from_epsg(code).map(Some).map_err(|e| e.reason());
    }
    Crs::from_prj(&definition).map(Some).map_err(|e| e.reason())
}

/// A cell of any SQLite type as table text (reals in full precision).
fn cell_text(row: &SqliteRow, i: usize) -> String {
    let Ok(raw) = row.try_get_raw(i) else {
        return String::new();
    };
    if raw.is_null() {
        return String::new();
    }
    match raw.type_info().name() {
        "INTEGER" | "BOOLEAN" => row.try_get::<i64, _>(i).map(|v| v.to_string()),
        "REAL" => row.try_get::<f64, _>(i).map(|v| v.to_string()),
        _ => row.try_get::<String, _>(i),
    }
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::unchanging;

    #[test]
    fn a_geopackage_with_a_pending_write_ahead_log_is_read_with_locks() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("layers.gpkg");
        std::fs::write(&file, b"").expect("write");
        assert!(unchanging(&file), "no log beside it");
        std::fs::write(dir.path().join("layers.gpkg-wal"), b"").expect("write");
        assert!(unchanging(&file), "an empty log holds nothing");
        std::fs::write(dir.path().join("layers.gpkg-wal"), b"frames").expect("write");
        assert!(!unchanging(&file), "QGIS still editing");
    }
}
