#!/bin/sh
# Writes prj_samples.tsv: code, flavour (wkt1 = GDAL's WKT1, esri = ArcGIS's) and the .prj text on
# one line, for every supported code and a sample of refused ones. Needs gdal-bin (gdalsrsinfo).
set -eu
cd "$(dirname "$0")"
supported="4326 4490 $(seq 4491 4554)"
older="4214 2401 2433 21413 21453 21473 4555 4568 4579 4652 4789 4610 2327 2349 2370 2383"
other="32648 3857 4479"
{
    gdalsrsinfo --version | sed 's/^/# /'
    for code in $supported $older $other; do
        for flavour in wkt1 esri; do
            case $flavour in wkt1) o=wkt1 ;; esri) o=wkt_esri ;; esac
            wkt=$(gdalsrsinfo --config OSR_USE_NON_DEPRECATED NO --single-line -o $o "EPSG:$code" 2>/dev/null | tr -d '\n')
            case $wkt in ERROR*|'') continue ;; esac # e.g. no ESRI WKT of a geocentric system
            printf '%s\t%s\t%s\n' "$code" "$flavour" "$wkt"
        done
    done
} > prj_samples.tsv
