#!/usr/bin/env bash
# Benchmark: many small vector requests through the whole pipeline (first job created by a claim,
# ingest_vector, stac_catalog_vectors, outputs), submitted at once to one node with its default
# two task workers; the time until all are completed, and each request's submit → completed.
# Baseline in the same run: the bare GDAL work of each request, an ogr2ogr into PostGIS and an
# ogr2ogr to a GeoPackage of the same file, two at a time (the machine's cores).
# Input: tests/data/naturalearth_cities.zip (243 points, a zipped shapefile) for every request.
# With "callback" as second argument every request carries a callback_url to a fast local
# receiver (bench/webhooks/receiver.js): the outbox's cost, and the time until the last webhook
# was delivered.
# With BENCH_PG_STATEMENTS=1 the entry also gives PostgreSQL's own account of the service's
# statements during the requests (pg_stat_statements: loaded for the run, unloaded after it; each
# is a restart of the cluster), and how much of it was the outbox's (the statements on its
# tables): the outbox's cost measured directly, beside the pairs' times that the machine's drift
# moves by more than it. Compare only runs made with the same setting.
# Usage: bench/small_requests.sh [requests [callback]]  (default 200). Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
N=${1:-200}
CALLBACK=${2:-}
[ -z "$CALLBACK" ] || [ "$CALLBACK" = callback ] || gp_die "the second argument may only be 'callback'"

gp_install_packages time ${CALLBACK:+nodejs}
gp_build geoplatform
gp_pg_up
PG_STATEMENTS=${BENCH_PG_STATEMENTS:-}
[ -z "$PG_STATEMENTS" ] || bench_pg_statements_on
BIN=$GP_BUILD_DIR/app/geoplatform
WORK=$(mktemp -d /tmp/gp_bench_small.XXXX)
DB=gp_bench_small
PID=
RX=
trap '{ [ -z "$PID" ] || kill -INT $PID 2>/dev/null; } || true; { [ -z "$RX" ] || kill $RX 2>/dev/null; } || true; wait 2>/dev/null || true; rm -rf "$WORK"; gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; [ -z "$PG_STATEMENTS" ] || bench_pg_statements_off' EXIT
mkdir -p "$WORK/bronze/bench" "$WORK/silver" "$WORK/baseline"
cp tests/data/naturalearth_cities.zip "$WORK/bronze/bench/cities.zip"
SRC=/vsizip/$WORK/bronze/bench/cities.zip/naturalearth_cities.shp

gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
URL=$(gp_db_url $DB)
sql() { gp_psql -d "$DB" -tAc "$1"; }

# Baseline: per request, the same file into PostGIS (with its spatial index) and to a GeoPackage.
export PGCONN="PG:host=127.0.0.1 port=$GP_PG_PORT dbname=$DB user=$GP_DB_USER password=$GP_DB_PASSWORD"
export SRC WORK
START=$(date +%s.%N)
seq 1 "$N" | xargs -P 2 -I{} sh -c 'ogr2ogr -f PostgreSQL "$PGCONN" "$SRC" -nln base_{} -lco GEOMETRY_NAME=geom -nlt PROMOTE_TO_MULTI && ogr2ogr -f GPKG "$WORK/baseline/{}.gpkg" "$SRC"'
END=$(date +%s.%N)
BASE_S=$(python3 -c "print(round($END - $START, 2))")
BASE_TABLES=$(sql "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'base\_%'")
echo "baseline: $N × (ogr2ogr to PostGIS + ogr2ogr to GeoPackage), 2 at a time: $BASE_S s ($BASE_TABLES tables)" >&2
sql "SELECT 'DROP TABLE public.' || tablename || ';' FROM pg_tables WHERE tablename LIKE 'base\_%'" > "$WORK/drop.sql"
gp_psql -d "$DB" < "$WORK/drop.sql" >/dev/null
rm -rf "$WORK/baseline"
gp_psql -d postgres -c CHECKPOINT >/dev/null

export GEOPLATFORM_DATABASE_URL=$URL
CALLBACK_URL=
if [ -n "$CALLBACK" ]; then
  RX_PORT=$(bench_free_port)
  node bench/webhooks/receiver.js "$RX_PORT" > "$WORK/receiver.out" &
  RX=$!
  CALLBACK_URL=http://127.0.0.1:$RX_PORT/hooks
  BENCH_SERVE_ARGS=(--set webhooks.allow_private_addresses=true)
fi
bench_start_service
[ -z "$CALLBACK" ] || "$BIN" clients update bench --callback-host 127.0.0.1 >/dev/null
[ -z "$PG_STATEMENTS" ] || bench_pg_statements_reset "$DB"
START=$(date +%s.%N)
/usr/bin/python3 - "$PORT" "$KEY" "$N" "$CALLBACK_URL" <<'PY'
import http.client, json, sys
port, key, n, callback = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"X-Platform-API-Key": key, "Content-Type": "application/json"}
for i in range(n):
    b = {"dataset_id": "cities-%d" % i, "resource_id": "r", "version_id": "v1",
         "request_type": "vector", "source_path": "cities.zip"}
    if callback:
        b["callback_url"] = callback
    c.request("POST", "/platform/submit", json.dumps(b), h)
    r = c.getresponse(); r.read()
    assert r.status == 202, r.status
PY
SUBMITTED=$(date +%s.%N)
echo "submitted $N in $(python3 -c "print(round($SUBMITTED - $START, 2))") s" >&2
while true; do
  ENDED=$(sql "SELECT count(*) FROM platform.requests WHERE status IN ('completed', 'failed', 'cancelled')")
  [ "$ENDED" -ge "$N" ] && break
  sleep 0.25
done
END=$(date +%s.%N)
REQ_S=$(python3 -c "print(round($END - $START, 2))")
COMPLETED=$(sql "SELECT count(*) FROM platform.requests WHERE status = 'completed'")
LAT=$(sql "SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY s))::numeric, 2) || ' / ' || round((percentile_cont(0.99) WITHIN GROUP (ORDER BY s))::numeric, 2) || ' / ' || round(max(s)::numeric, 2) FROM (SELECT extract(epoch FROM completed_at - created_at) AS s FROM platform.requests) t")
JOBS=$(sql "SELECT count(*) || ' jobs, ' || count(DISTINCT platform_request_id) || ' requests' FROM app.jobs")
DUPS=$(sql "SELECT count(*) FROM (SELECT platform_request_id, job_type FROM app.jobs GROUP BY 1, 2 HAVING count(*) > 1) d")
TASKS=$(sql "SELECT string_agg(task_type || ' ' || n || ' × ' || ms || ' ms', ', ') FROM (SELECT task_type, count(*) AS n, round(avg(extract(epoch FROM completed_at - started_at)) * 1000) AS ms FROM app.tasks GROUP BY 1 ORDER BY 1) t")
CPU_S=$(bench_seconds "$(bench_ticks $PID)")
HOOKS=
if [ -n "$CALLBACK" ]; then
  while [ "$(sql "SELECT count(*) FROM platform.webhook_delivery_state WHERE status = 'delivered'")" -lt "$N" ]; do sleep 0.1; done
  HOOK_S=$(python3 -c "print(round($(date +%s.%N) - $START, 2))")
  HOOKS=" Every request with a callback_url; all $N webhooks delivered $HOOK_S s after the first submit (completed → delivered p50 / max $(sql "SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY s))::numeric, 3) || ' / ' || round(max(s)::numeric, 3) FROM (SELECT extract(epoch FROM s.delivered_at - r.completed_at) AS s FROM platform.webhook_deliveries d JOIN platform.webhook_delivery_state s USING (delivery_id) JOIN platform.requests r USING (request_id)) t") s)."
fi
STATEMENTS=
if [ -n "$PG_STATEMENTS" ]; then
  read -r ALL_MS ALL_CALLS <<< "$(bench_pg_statements_time "$DB" '%')"
  read -r OUTBOX_MS OUTBOX_CALLS <<< "$(bench_pg_statements_time "$DB" '%webhook_deliver%')"
  HOOK_CPU=$(for t in /proc/$PID/task/*; do
               if [ "$(cat "$t/comm")" = gp.webhooks.0 ]; then bench_seconds "$(bench_ticks "$PID/task/${t##*/}")"; fi
             done)
  STATEMENTS=" PostgreSQL (pg_stat_statements, loaded for this run), the service's statements from the first submit to the end: $ALL_MS ms in $ALL_CALLS calls; those on the outbox's tables (the events written with the requests' ends, the claims, the outcomes, the idle polls): $OUTBOX_MS ms in $OUTBOX_CALLS calls ($(python3 -c "print(f'{100 * $OUTBOX_MS / max($ALL_MS, 1):.2f}')") %). The webhooks' HTTP thread: ${HOOK_CPU:-0} s of CPU."
fi
echo "requests: $REQ_S s, $COMPLETED completed; submit → completed p50 / p99 / max $LAT s; $JOBS, $DUPS duplicated; $TASKS" >&2

{
  echo
  echo "### $N small vector requests at once${CALLBACK:+, each with a callback_url,} vs the bare GDAL work — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2) (workers.task_workers 2, idle_poll_max_ms 20), GDAL $(gdal-config --version), PostgreSQL on the same cores; every request loads naturalearth_cities.zip (243 points, a zipped shapefile)."
  echo
  echo "| | time | per request | ratio |"
  echo "|---|---|---|---|"
  echo "| ogr2ogr to PostGIS + ogr2ogr to GeoPackage, 2 at a time (baseline) | $BASE_S s | $(python3 -c "print(round($BASE_S * 1000 / $N))") ms | 1 |"
  echo "| $N vector requests, first submit → last completed | $REQ_S s | $(python3 -c "print(round($REQ_S * 1000 / $N))") ms | $(python3 -c "print(f'{$REQ_S / $BASE_S:.2f}')") |"
  echo
  echo "Completed: $COMPLETED of $N; each request's submit → completed p50 / p99 / max: $LAT s (all queued at once, so this is mostly waiting). $JOBS, $DUPS (request, job type) pairs duplicated. Tasks: $TASKS. Service CPU: $CPU_S s.$HOOKS$STATEMENTS"
} | tee -a bench/RESULTS.md
