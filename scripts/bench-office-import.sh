#!/usr/bin/env bash
# Office-file import benchmark (issue 12): the 1,000,000-building synthetic city's buildings as an
# Excel ledger (written by `gridatlas export`) and as a GBK Shapefile in CGCS2000 Gauss-Krüger zone
# 35 (written by GDAL's ogr2ogr from the store), each imported by `gridatlas import` into a copy of
# the city as new buildings (one transaction: read, convert, place, validate, check, write) beside
# GDAL's ogr2ogr reading the same file into a GeoPackage. Prints wall time and peak memory (max RSS) of each, and the ratios.
#   scripts/bench-office-import.sh [BUILDINGS]      (GRIDATLAS_BIN=path: measure that binary)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
# GRIDATLAS_BIN names a built binary to measure instead of building the release one.
if [ -z "${GRIDATLAS_BIN:-}" ]; then cargo build --release -q -p gridatlas-server; fi
bin="${GRIDATLAS_BIN:-$PWD/target/release/gridatlas}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RUST_LOG=warn
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%F); $(ogr2ogr --version)"
"$bin" demo --store "$work/city.gpkg" --scale "$n" >/dev/null
"$bin" export --store "$work/city.gpkg" --layer buildings -o "$work/buildings.xlsx" >/dev/null
ogr2ogr -f "ESRI Shapefile" -t_srs EPSG:4523 -lco ENCODING=CP936 "$work/buildings.shp" \
  "$work/city.gpkg" buildings 2>/dev/null
ls -l "$work/buildings.xlsx" "$work/buildings.dbf" | awk '{printf "%s: %.0f MiB\n", $9, $5/1048576}' | sed "s|$work/||"

# measure LABEL CMD…: runs CMD under GNU time; prints and remembers seconds and peak MiB.
declare -A secs mib
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  read -r s kb <"$work/time"
  secs[$label]=$s
  mib[$label]=$((kb / 1024))
  printf "%-44s %8.1f s %8d MiB\n" "$label" "$s" "${mib[$label]}"
}

# Both files are imported as 1,000,000 new buildings (the ledger's 编号/版本 columns left out; the
# Shapefile has none: GDAL took the store's id as its FID), so both runs do the same work.
declare -A drop=([xlsx]="--column 编号= --column 版本=" [shp]="")
for kind in xlsx shp; do
  cp "$work/city.gpkg" "$work/import.gpkg"
  # shellcheck disable=SC2086
  measure "gridatlas import buildings.$kind" "$bin" import --store "$work/import.gpkg" --layer buildings ${drop[$kind]} "$work/buildings.$kind"
  rm -f "$work/ogr.gpkg"
  measure "ogr2ogr buildings.$kind -> GeoPackage" ogr2ogr -f GPKG "$work/ogr.gpkg" "$work/buildings.$kind"
  a="gridatlas import buildings.$kind" b="ogr2ogr buildings.$kind -> GeoPackage"
  awk -v t1="${secs[$a]}" -v t2="${secs[$b]}" -v m1="${mib[$a]}" -v m2="${mib[$b]}" \
    'BEGIN { printf "  gridatlas / ogr2ogr: time %.2f, peak memory %.2f\n", t1 / t2, m1 / m2 }'
done
