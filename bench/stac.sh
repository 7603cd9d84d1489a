#!/usr/bin/env bash
# Benchmark: the STAC API over 100,000 items (made in SQL: random boxes over the world, times over
# five years, 1,000 datasets). Four searches, uncached (stac.cache=false): bbox + datetime, ids,
# a CQL2 equality on ddh:dataset_id, and s_intersects with a polygon; wrk at 4 and at 32
# connections. Then, cached (a second serve with the default cache), a limit=1 search against
# /livez in the same run. EXPLAIN names the index each search uses.
# Targets (issue #19): uncached p99 <= 20 ms at 4 connections; cached limit=1 search >= 0.7x /livez.
# Usage: bench/stac.sh [items, default 100000]. Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
ITEMS=${1:-100000}
DURATION=${BENCH_DURATION:-10s}

gp_install_packages wrk
gp_bench_binary
gp_pg_up
WORK=$(mktemp -d /tmp/gp_bench_stac.XXXX)
DB=gp_bench_stac
PID=
trap '{ [ -z "$PID" ] || kill -INT $PID 2>/dev/null; } || true; wait 2>/dev/null || true; rm -rf "$WORK"; gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
mkdir -p "$WORK/bronze" "$WORK/silver"
gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
export GEOPLATFORM_DATABASE_URL=$(gp_db_url $DB)
"$BIN" migrate >/dev/null

# The catalogue: ITEMS raster items of client bench, each with a realistic item document.
START=$(date +%s.%N)
gp_psql -d "$DB" <<SQL
SELECT setseed(0.19);
INSERT INTO platform.stac_collections (collection_id, client_id, title, description)
VALUES ('bench_rasters', 'bench', 'bench rasters', 'Rasters of the benchmark.');
INSERT INTO platform.stac_items (collection_id, item_id, request_id, client_id, dataset_id,
  resource_id, version_id, geometry, bbox, datetime, end_datetime, epsg, content)
SELECT 'bench_rasters', ds || '_r' || i || '_v1', md5(i::text), 'bench', ds, 'r' || i, 'v1',
  ST_MakeEnvelope(x, y, x + w, y + h, 4326), ARRAY[x, y, x + w, y + h], t, t, 4326,
  json_build_object('type', 'Feature', 'stac_version', '1.0.0',
    'stac_extensions', json_build_array('https://stac-extensions.github.io/projection/v1.1.0/schema.json',
                                        'https://stac-extensions.github.io/raster/v1.1.0/schema.json'),
    'id', ds || '_r' || i || '_v1', 'collection', 'bench_rasters',
    'geometry', ST_AsGeoJSON(ST_MakeEnvelope(x, y, x + w, y + h, 4326))::json,
    'bbox', json_build_array(x, y, x + w, y + h),
    'properties', json_build_object('datetime', to_char(t, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'created', '2026-01-01T00:00:00Z', 'updated', '2026-01-01T00:00:00Z',
      'ddh:dataset_id', ds, 'ddh:resource_id', 'r' || i, 'ddh:version_id', 'v1',
      'ddh:request_id', md5(i::text), 'proj:epsg', 4326, 'proj:shape', json_build_array(4000, 4000),
      'proj:transform', json_build_array(w / 4000, 0, x, 0, -h / 4000, y + h, 0, 0, 1)),
    'assets', json_build_object('data', json_build_object(
      'href', 'http://127.0.0.1/platform/data/' || md5(i::text) || '/download',
      'type', 'image/tiff; application=geotiff; profile=cloud-optimized', 'roles', json_build_array('data'),
      'raster:bands', json_build_array(json_build_object('data_type', 'uint8', 'nodata', null,
        'spatial_resolution', w / 4000, 'statistics', json_build_object('minimum', 0, 'maximum', 255,
        'mean', 127.5, 'stddev', 73.9))))),
    'links', json_build_array(
      json_build_object('rel', 'self', 'href', 'http://127.0.0.1/platform/stac/collections/bench_rasters/items/' || ds || '_r' || i || '_v1'),
      json_build_object('rel', 'root', 'href', 'http://127.0.0.1/platform/stac'),
      json_build_object('rel', 'parent', 'href', 'http://127.0.0.1/platform/stac/collections/bench_rasters'),
      json_build_object('rel', 'collection', 'href', 'http://127.0.0.1/platform/stac/collections/bench_rasters'))
  )::text
FROM (SELECT i, 'ds' || (i % 1000) AS ds, random() * 350 - 175 AS x, random() * 160 - 80 AS y,
             0.2 + random() AS w, 0.2 + random() AS h,
             timestamptz '2020-01-01' + random() * interval '5 years' AS t
      FROM generate_series(1, $ITEMS) i) s;
UPDATE platform.stac_collections SET item_count = $ITEMS, bbox = ARRAY[-180, -90, 180, 90];
VACUUM ANALYZE platform.stac_items;
SQL
LOAD_S=$(python3 -c "print(round($(date +%s.%N) - $START, 1))")
ITEM_BYTES=$(gp_psql -d "$DB" -tAc "SELECT round(avg(length(content))) FROM platform.stac_items")
echo "catalogue: $ITEMS items in $LOAD_S s, $ITEM_BYTES bytes per item" >&2

# The four searches: name, GET query, and the statement search_sql builds for it (for EXPLAIN).
BBOX_Q='bbox=5,45,15,55&datetime=2022-01-01T00:00:00Z/2022-12-31T23:59:59Z&limit=10'
IDS_Q='ids=ds7_r1007_v1,ds42_r3042_v1,ds999_r50999_v1&limit=10'
# "ddh:dataset_id" = 'ds42' and S_INTERSECTS(geometry, POLYGON(...)), percent-encoded.
CQL_Q='filter=%22ddh%3Adataset_id%22%20%3D%20%27ds42%27&limit=10'
POLY="POLYGON((5 45,15 45,15 55,5 55,5 45))"
GEO_Q='filter=S_INTERSECTS%28geometry%2C%20POLYGON%28%285%2045%2C15%2045%2C15%2055%2C5%2055%2C5%2045%29%29%29&limit=10'
ORDER="ORDER BY datetime DESC, collection_id ASC, item_id ASC LIMIT 11"
SEL="SELECT collection_id, item_id, content FROM platform.stac_items WHERE client_id = 'bench'"
explain() {  # the index names in the plan of $1
  gp_psql -d "$DB" -tAc "EXPLAIN $1" | { grep -oE '(Index Scan( Backward)? using|Index Only Scan using|Bitmap Index Scan on) [a-z_]+' || echo "a sequential scan"; } | awk '{print $NF}' | sort -u | paste -sd, -
}
IX_BBOX=$(explain "$SEL AND ST_Intersects(geometry, ST_MakeEnvelope(5, 45, 15, 55, 4326)) AND datetime <= '2022-12-31T23:59:59Z' AND end_datetime >= '2022-01-01T00:00:00Z' $ORDER")
IX_IDS=$(explain "$SEL AND item_id = ANY('{ds7_r1007_v1,ds42_r3042_v1,ds999_r50999_v1}'::text[]) $ORDER")
IX_CQL=$(explain "$SEL AND (dataset_id = 'ds42') $ORDER")
IX_GEO=$(explain "$SEL AND ST_Intersects(geometry, ST_GeomFromText('$POLY', 4326)) $ORDER")

start_serve() {  # extra serve arguments
  "$BIN" clients create bench --rate-limit 2000000000 --read-rate-limit 2000000000 >/dev/null 2>&1 || true
  KEY=${KEY:-$("$BIN" keys create --client bench --level internal 2>/dev/null)}
  PORT=$(bench_free_port)
  "$BIN" serve --port "$PORT" --log-level warn \
    --set storage.bronze_root="$WORK/bronze" --set storage.silver_root="$WORK/silver" "$@" \
    2>"$WORK/serve.log" &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
}
stop_serve() { kill -INT "$PID"; wait "$PID" || true; PID=; }

run_wrk() {  # connections, path, [key] → "rps p99"
  local out hdr=()
  [ -n "${3:-}" ] && hdr=(-H "X-Platform-API-Key: $3")
  out=$(wrk -t2 -c"$1" -d"$DURATION" --latency "${hdr[@]}" "http://127.0.0.1:$PORT$2")
  echo "$out" | grep -E "Non-2xx" >&2 && { echo "non-2xx answers for $2" >&2; exit 1; }
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="99%" {print $2}')"
}

start_serve --set stac.cache=false
declare -A RPS4 P994 RPS32 P9932 FOUND
for q in bbox ids cql geo; do
  case $q in bbox) Q=$BBOX_Q ;; ids) Q=$IDS_Q ;; cql) Q=$CQL_Q ;; geo) Q=$GEO_Q ;; esac
  FOUND[$q]=$(curl -sf -H "X-Platform-API-Key: $KEY" "http://127.0.0.1:$PORT/platform/stac/search?$Q" | python3 -c "import json,sys; print(json.load(sys.stdin)['numberReturned'])")
  read -r RPS4[$q] P994[$q] < <(run_wrk 4 "/platform/stac/search?$Q" "$KEY")
  read -r RPS32[$q] P9932[$q] < <(run_wrk 32 "/platform/stac/search?$Q" "$KEY")
  echo "$q: ${FOUND[$q]} items; c4 ${RPS4[$q]} req/s p99 ${P994[$q]}; c32 ${RPS32[$q]} req/s p99 ${P9932[$q]}" >&2
done
stop_serve

start_serve
curl -sf -H "X-Platform-API-Key: $KEY" "http://127.0.0.1:$PORT/platform/stac/search?limit=1" >/dev/null
read -r LIVEZ_RPS LIVEZ_P99 < <(run_wrk 64 "/livez")
read -r CACHED_RPS CACHED_P99 < <(run_wrk 64 "/platform/stac/search?limit=1" "$KEY")
stop_serve
RATIO=$(python3 -c "print(f'{$CACHED_RPS / $LIVEZ_RPS:.2f}')")

{
  echo
  echo "### STAC API over $ITEMS items — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2); PostgreSQL $(gp_psql -d "$DB" -tAc 'SHOW server_version' | cut -d' ' -f1), PostGIS $(gp_psql -d "$DB" -tAc 'SELECT extversion FROM pg_extension WHERE extname = $$postgis$$'); $ITEMS items of $ITEM_BYTES bytes (loaded in $LOAD_S s); wrk -t2 -d$DURATION --latency on the same machine; limit=10 per search."
  echo
  echo "| search (uncached) | found | index | c4 req/s | c4 p99 | c32 req/s | c32 p99 |"
  echo "|---|---|---|---|---|---|---|"
  echo "| bbox + datetime (one year) | ${FOUND[bbox]} | $IX_BBOX | ${RPS4[bbox]} | ${P994[bbox]} | ${RPS32[bbox]} | ${P9932[bbox]} |"
  echo "| ids (3) | ${FOUND[ids]} | $IX_IDS | ${RPS4[ids]} | ${P994[ids]} | ${RPS32[ids]} | ${P9932[ids]} |"
  echo "| CQL2 ddh:dataset_id = 'ds42' | ${FOUND[cql]} | $IX_CQL | ${RPS4[cql]} | ${P994[cql]} | ${RPS32[cql]} | ${P9932[cql]} |"
  echo "| CQL2 s_intersects(polygon 10°×10°) | ${FOUND[geo]} | $IX_GEO | ${RPS4[geo]} | ${P994[geo]} | ${RPS32[geo]} | ${P9932[geo]} |"
  echo
  echo "| cached, wrk -c64 | req/s | p99 |"
  echo "|---|---|---|"
  echo "| GET /livez (baseline) | $LIVEZ_RPS | $LIVEZ_P99 |"
  echo "| GET /platform/stac/search?limit=1 (cached) | $CACHED_RPS | $CACHED_P99 |"
  echo
  echo "Cached search / livez = **$RATIO** (target >= 0.7). Uncached p99 at 4 connections: target <= 20 ms."
} | tee -a bench/RESULTS.md
