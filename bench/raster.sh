#!/usr/bin/env bash
# Benchmark: a raster platform request (validate_raster, process_raster to a COG, then
# stac_catalog_raster and the catalogue write, timed on their own) on an
# 8000x8000 3-band noisy GeoTIFF, next to bare
#   gdal_translate -of COG -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS
# on the same file in the same run, each with its peak RSS (/usr/bin/time -v for gdal_translate,
# VmHWM of the serve process for the request).
# Target (issue #6): request time <= 1.15x gdal_translate, streaming (no whole file in memory).
# Usage: bench/raster.sh [size, default 8000]. Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
SIZE=${1:-8000}

gp_install_packages time
gp_bench_binary
gp_pg_up
WORK=$(mktemp -d /tmp/gp_bench_raster.XXXX)
DB=gp_bench_raster
PID=
trap '{ [ -z "$PID" ] || kill -INT $PID 2>/dev/null; } || true; wait 2>/dev/null || true; rm -rf "$WORK"; gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
mkdir -p "$WORK/bronze/bench" "$WORK/silver"
SRC=$WORK/bronze/bench/noise.tif

# The input: SIZE x SIZE x 3 bytes of noise (incompressible), written row block by row block.
/usr/bin/python3 - "$SRC" "$SIZE" <<'PY'
import os, sys
from osgeo import gdal
path, n = sys.argv[1], int(sys.argv[2])
ds = gdal.GetDriverByName("GTiff").Create(path, n, n, 3, gdal.GDT_Byte, ["TILED=YES"])
ds.SetGeoTransform([5.0, 1.0 / n, 0, 50.0, 0, -1.0 / n])
ds.SetProjection('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]')
rows = 256
for b in range(1, 4):
    band = ds.GetRasterBand(b)
    for y in range(0, n, rows):
        h = min(rows, n - y)
        band.WriteRaster(0, y, n, h, os.urandom(n * h))
ds = None
PY
echo "input: $(du -h "$SRC" | cut -f1)" >&2

# Baseline: gdal_translate alone.
START=$(date +%s.%N)
/usr/bin/time -v gdal_translate -q -of COG -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS "$SRC" "$WORK/baseline.tif" 2> "$WORK/time.txt"
END=$(date +%s.%N)
BASE_S=$(python3 -c "print(round($END - $START, 2))")
BASE_RSS=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$WORK/time.txt")
echo "gdal_translate: $BASE_S s, $BASE_RSS MiB" >&2

# The service: one raster request, submit -> completed.
gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
export GEOPLATFORM_DATABASE_URL=$(gp_db_url $DB)
bench_start_service
REQ_S=$(bench_run_request noise raster noise.tif)
REQ_RSS=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$PID/status")
STEPS=$(gp_psql -d "$DB" -tAc "SELECT string_agg(job_type || ' ' || round(extract(epoch FROM completed_at - started_at)::numeric, 2) || ' s', ', ' ORDER BY created_at) FROM app.jobs")
# What the STAC step adds: from process_raster's end to the completed state (the step's job,
# its claim, gathering the outputs, assembling the item and the write that stores it).
STAC_MS=$(gp_psql -d "$DB" -tAc "SELECT round(extract(epoch FROM r.completed_at - j.completed_at) * 1000) FROM platform.requests r JOIN app.jobs j ON j.platform_request_id = r.request_id WHERE j.job_type = 'process_raster'")
STAC_TASK_MS=$(gp_psql -d "$DB" -tAc "SELECT round(extract(epoch FROM t.completed_at - t.started_at) * 1000) FROM app.tasks t JOIN app.jobs j USING (job_id) WHERE j.job_type = 'stac_catalog_raster'")
echo "request: $REQ_S s ($STEPS), peak RSS $REQ_RSS MiB; STAC step adds $STAC_MS ms (its task $STAC_TASK_MS ms)" >&2
/usr/bin/python3 -m osgeo_utils.samples.validate_cloud_optimized_geotiff -q "$WORK/silver/bench/noise/r/v1/noise.tif" && VALID=yes || VALID=no

{
  echo
  echo "### Raster request (validate_raster, process_raster, stac_catalog_raster) vs gdal_translate — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2), GDAL $(gdal-config --version); input ${SIZE}x${SIZE}x3 Byte noise GeoTIFF ($(du -h "$SRC" | cut -f1)), COG with DEFLATE and NUM_THREADS=ALL_CPUS on both sides."
  echo
  echo "| | time | ratio | peak RSS |"
  echo "|---|---|---|---|"
  echo "| gdal_translate -of COG (baseline) | $BASE_S s | 1 | $BASE_RSS MiB |"
  echo "| raster request, submit → completed | $REQ_S s | $(python3 -c "print(f'{$REQ_S / $BASE_S:.2f}')") | $REQ_RSS MiB (the whole serve process; $RSS0 MiB at start) |"
  echo
  echo "Jobs: $STEPS. The COG passes the validator: $VALID. Target: request <= 1.15x gdal_translate."
  echo "STAC finalisation (process_raster's end → completed, with the item stored): $STAC_MS ms, of which the stac_catalog_raster task $STAC_TASK_MS ms. Target: <= 100 ms."
} | tee -a bench/RESULTS.md
