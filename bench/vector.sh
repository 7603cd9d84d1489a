#!/usr/bin/env bash
# Benchmark: a vector platform request (ingest_vector: inspect, load with parallel COPY streams
# and the GeoPackage on a thread of its own, publish with the indexes; then stac_catalog_vectors)
# on a generated CSV of 1,000,000 points (lon, lat and 3 attributes), next to bare
#   ogr2ogr -f PostgreSQL PG:… pts.csv -oo X_POSSIBLE_NAMES=lon -oo Y_POSSIBLE_NAMES=lat
#           -a_srs EPSG:4326 -nln bench -lco GEOMETRY_NAME=geom
# on the same file in the same run, each with its peak RSS (/usr/bin/time -v for ogr2ogr,
# VmHWM of the serve process for the request).
# Target (issue #6): request time <= 1.3x ogr2ogr. The request does more: it hashes the source,
# repairs and types every feature, and also writes the GeoPackage for download.
# Usage: bench/vector.sh [points, default 1000000]. Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
POINTS=${1:-1000000}

gp_install_packages time
gp_bench_binary
gp_pg_up
WORK=$(mktemp -d /tmp/gp_bench_vector.XXXX)
DB=gp_bench_vector
PID=
trap '{ [ -z "$PID" ] || kill -INT $PID 2>/dev/null; } || true; wait 2>/dev/null || true; rm -rf "$WORK"; gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
mkdir -p "$WORK/bronze/bench" "$WORK/silver"
SRC=$WORK/bronze/bench/pts.csv

# The input: POINTS rows of lon, lat (over the whole world), an integer, a name and a real.
/usr/bin/python3 - "$SRC" "$POINTS" <<'PY'
import random, sys
path, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
with open(path, "w") as f:
    f.write("lon,lat,id,name,value\n")
    rows = []
    for i in range(n):
        rows.append("%.6f,%.6f,%d,site %d,%.3f\n" % (rnd.uniform(-180, 180), rnd.uniform(-85, 85),
                                                    i, i, rnd.uniform(0, 1000)))
        if len(rows) == 10000:
            f.write("".join(rows))
            rows = []
    f.write("".join(rows))
PY
echo "input: $(du -h "$SRC" | cut -f1)" >&2

gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
URL=$(gp_db_url $DB)
PGCONN="PG:host=127.0.0.1 port=$GP_PG_PORT dbname=$DB user=$GP_DB_USER password=$GP_DB_PASSWORD"

# Baseline: ogr2ogr alone (its defaults: COPY, a GIST index on geom).
START=$(date +%s.%N)
/usr/bin/time -v ogr2ogr -f PostgreSQL "$PGCONN" "$SRC" -oo X_POSSIBLE_NAMES=lon \
  -oo Y_POSSIBLE_NAMES=lat -a_srs EPSG:4326 -nln bench -lco GEOMETRY_NAME=geom 2> "$WORK/time.txt"
END=$(date +%s.%N)
BASE_S=$(python3 -c "print(round($END - $START, 2))")
BASE_RSS=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$WORK/time.txt")
BASE_ROWS=$(gp_psql -d "$DB" -tAc "SELECT count(*) FROM public.bench")
echo "ogr2ogr: $BASE_S s, $BASE_RSS MiB, $BASE_ROWS rows" >&2
gp_psql -d "$DB" -c "DROP TABLE public.bench" >/dev/null

# The service: one vector request, submit -> completed.
export GEOPLATFORM_DATABASE_URL=$URL
bench_start_service
REQ_S=$(bench_run_request pts vector pts.csv)
REQ_RSS=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$PID/status")
STAGES=$(gp_psql -d "$DB" -tAc "SELECT string_agg(task_type || ' ' || round(extract(epoch FROM completed_at - started_at)::numeric, 2) || ' s', ', ' ORDER BY created_at) FROM app.tasks")
TABLE=$(gp_psql -d "$DB" -tAc "SELECT table_name FROM platform.vector_layers")
ROWS=$(gp_psql -d "$DB" -tAc "SELECT count(*) FROM geo.\"$TABLE\"")
GPKG=$(ls "$WORK/silver/bench/pts/r/v1/")
GPKG_ROWS=$(/usr/bin/python3 -c "from osgeo import ogr; ds = ogr.Open('$WORK/silver/bench/pts/r/v1/$GPKG'); print(ds.GetLayer(0).GetFeatureCount())")
echo "request: $REQ_S s ($STAGES), peak RSS $REQ_RSS MiB, $ROWS rows, GeoPackage $GPKG_ROWS features" >&2

{
  echo
  echo "### Vector request (ingest_vector + stac_catalog_vectors) vs ogr2ogr — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2), GDAL $(gdal-config --version), PostgreSQL on the same cores; input CSV of $POINTS points, lon/lat and 3 attributes ($(du -h "$SRC" | cut -f1))."
  echo
  echo "| | time | ratio | peak RSS | rows |"
  echo "|---|---|---|---|---|"
  echo "| ogr2ogr -f PostgreSQL (baseline) | $BASE_S s | 1 | $BASE_RSS MiB | $BASE_ROWS |"
  echo "| vector request, submit → completed | $REQ_S s | $(python3 -c "print(f'{$REQ_S / $BASE_S:.2f}')") | $REQ_RSS MiB (the whole serve process; $RSS0 MiB at start) | $ROWS, and $GPKG_ROWS in the GeoPackage |"
  echo
  echo "Tasks: $STAGES. Target: request <= 1.3x ogr2ogr."
} | tee -a bench/RESULTS.md
