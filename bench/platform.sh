#!/usr/bin/env bash
# Benchmark: the platform request accept path, with task workers paused (workers.task_workers=0)
# so only accepting and tracking is measured. wrk -t2 -c64 --latency, all in one run on one
# PostgreSQL cluster:
#   - GET /livez and pgbench -N -c8 as baselines;
#   - new submits (each durable before its 202; concurrent ones share insert transactions), also
#     with 16 and 32 connections (no target: the latency below saturation);
#   - identical resubmits (answered from the status board);
#   - status polls of live requests (answered by their actors) and of ended ones (cached);
#   - RSS of the serve process per live request actor, up to BENCH_LIVE (default 100000).
# Targets (issue #5): new submits >= 1.5x pgbench tps; resubmits >= 0.6x and status polls >= 0.7x
# the /livez rate; p99 <= 10 ms; <= 4 KiB RSS per live request beyond the baseline.
# Usage: bench/platform.sh. Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
DURATION=${BENCH_DURATION:-10s}
LIVE=${BENCH_LIVE:-100000}

gp_install_packages wrk
gp_bench_binary
gp_pg_up
DB=gp_bench_platform
WORK=$(mktemp -d /tmp/gp_bench_platform.XXXX)
fresh_db() {
  gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
  "$BIN" migrate >/dev/null
  "$BIN" clients create bench --rate-limit 2000000000 --read-rate-limit 2000000000 >/dev/null 2>&1
  KEY=$("$BIN" keys create --client bench --level internal 2>/dev/null)
}
export GEOPLATFORM_DATABASE_URL=$(gp_db_url $DB)
mkdir -p "$WORK/bronze/bench" "$WORK/silver"
head -c 4096 /dev/urandom > "$WORK/bronze/bench/bench.csv"
export GP_SOURCE=bench.csv

# Baseline: pgbench's simple-update transactions with 8 clients on the same cluster.
PGB=gp_bench_pgbench
gp_psql -d postgres -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "CREATE DATABASE $PGB OWNER $GP_DB_USER" >/dev/null
PGPASSWORD=$GP_DB_PASSWORD pgbench -q -i -s 10 -h 127.0.0.1 -p "$GP_PG_PORT" -U "$GP_DB_USER" "$PGB" >/dev/null 2>&1
# Each measured run starts after a checkpoint, so none pays for the dirty pages of the one before
# (pgbench -i writes a million rows just before the first run).
checkpoint() { gp_psql -d postgres -c CHECKPOINT >/dev/null; }
checkpoint
TPS=$(PGPASSWORD=$GP_DB_PASSWORD pgbench -N -c 8 -j 2 -T 10 -h 127.0.0.1 -p "$GP_PG_PORT" -U "$GP_DB_USER" "$PGB" 2>/dev/null | awk '/^tps/ {print int($3); exit}')
echo "pgbench -N -c8: $TPS tps" >&2

PID=
start_serve() {
  PORT=$(bench_free_port)
  "$BIN" serve --port "$PORT" --log-level warn --set workers.task_workers=0 \
    --set storage.bronze_root="$WORK/bronze" --set storage.silver_root="$WORK/silver" \
    ${BENCH_SERVE_ARGS:-} 2>>"$WORK/serve.log" &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  URL=http://127.0.0.1:$PORT
}
stop_serve() { kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap 'stop_serve; rm -rf "$WORK"; gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
sql() { gp_psql -d "$DB" -tAc "$1"; }

run_wrk() {  # name, lua script or "", path → "rps p50 p99 non2xx"
  local out
  out=$(GP_KEY=$KEY wrk -t2 -c"${CONNS:-64}" -d"$DURATION" --latency ${2:+-s bench/lua/$2} "$URL$3" 2>&1)
  echo "== $1" >&2
  echo "$out" >&2
  local rps p50 p99 bad
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  bad=$(echo "$out" | awk '/Non-2xx/ {print $4}')
  echo "$rps $p50 $p99 ${bad:-0}"
}

fresh_db
start_serve
read -r L_RPS L_P50 L_P99 _ < <(run_wrk livez "" /livez)
checkpoint
read -r N_RPS N_P50 N_P99 N_BAD < <(run_wrk "new submits" submit.lua /platform/submit)
NEW_ROWS=$(sql "SELECT count(*) FROM platform.requests")
read -r R_RPS R_P50 R_P99 R_BAD < <(GP_REPEAT=500 run_wrk resubmits submit.lua /platform/submit)
sql "SELECT request_id FROM platform.requests ORDER BY random() LIMIT 5000" > "$WORK/live.ids"
read -r S_RPS S_P50 S_P99 S_BAD < <(GP_IDS=$WORK/live.ids run_wrk "status (live)" status.lua /)
# Ended requests: cancel 2000 of them through the API, then poll those.
head -2000 "$WORK/live.ids" > "$WORK/ended.ids"
python3 - "$PORT" "$KEY" "$WORK/ended.ids" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for rid in open(sys.argv[3]).read().split():
    c.request("DELETE", "/platform/requests/" + rid, headers={"X-Platform-API-Key": sys.argv[2]})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
read -r T_RPS T_P50 T_P99 T_BAD < <(GP_IDS=$WORK/ended.ids run_wrk "status (ended)" status.lua /)
# New submits below saturation (no target; how the latency looks with fewer clients). Last, so
# the rows they add do not change what the runs above measure.
checkpoint
read -r N16_RPS N16_P50 N16_P99 _ < <(CONNS=16 GP_PREFIX=c16- run_wrk "new submits, 16 connections" submit.lua /platform/submit)
checkpoint
read -r N32_RPS N32_P50 N32_P99 _ < <(CONNS=32 GP_PREFIX=c32- run_wrk "new submits, 32 connections" submit.lua /platform/submit)
stop_serve

# Memory: RSS with $LIVE live request actors against a fresh node's baseline.
fresh_db
start_serve
sleep 1
RSS0=$(rss_kib)
n=0
round=0
while [ "$n" -lt "$LIVE" ]; do
  round=$((round + 1))
  GP_KEY=$KEY GP_PREFIX="m$round-" wrk -t2 -c64 -d5s -s bench/lua/submit.lua "$URL/platform/submit" >/dev/null 2>&1
  n=$(sql "SELECT count(*) FROM platform.requests")
done
# Let the actors finish starting their jobs, then read the registry's count of live actors.
sleep 5
ACTORS=$(curl -sf -H "X-Platform-API-Key: $KEY" "$URL/health" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["components"]["actors"]["members"]["registry"]["live_actors"])' 2>/dev/null || echo "?")
RSS1=$(rss_kib)
PER=$(python3 -c "print(round(($RSS1 - $RSS0) * 1024 / $n))")
stop_serve

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
{
  echo
  echo "### Platform requests: accept path and status — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2), PostgreSQL 15 on the same machine, log level warn, workers.task_workers=0${BENCH_SERVE_ARGS:+, $BENCH_SERVE_ARGS}; wrk -t2 -c64 (unless noted) -d$DURATION --latency (scripts in bench/lua/)."
  echo
  echo "| | req/s | p50 | p99 | ratio | non-2xx |"
  echo "|---|---|---|---|---|---|"
  echo "| pgbench -N -c8 (baseline) | $TPS tps | | | 1 | |"
  echo "| GET /livez (baseline) | $L_RPS | $L_P50 | $L_P99 | 1 | |"
  echo "| new submits ($NEW_ROWS rows) | $N_RPS | $N_P50 | $N_P99 | $(ratio "$N_RPS" "$TPS") × pgbench | $N_BAD |"
  echo "| new submits, 16 connections | $N16_RPS | $N16_P50 | $N16_P99 | $(ratio "$N16_RPS" "$TPS") × pgbench | |"
  echo "| new submits, 32 connections | $N32_RPS | $N32_P50 | $N32_P99 | $(ratio "$N32_RPS" "$TPS") × pgbench | |"
  echo "| identical resubmits | $R_RPS | $R_P50 | $R_P99 | $(ratio "$R_RPS" "$L_RPS") × livez | $R_BAD |"
  echo "| status, live requests | $S_RPS | $S_P50 | $S_P99 | $(ratio "$S_RPS" "$L_RPS") × livez | $S_BAD |"
  echo "| status, ended requests | $T_RPS | $T_P50 | $T_P99 | $(ratio "$T_RPS" "$L_RPS") × livez | $T_BAD |"
  echo
  echo "Memory: $n live requests ($ACTORS live actors): RSS $((RSS0 / 1024)) MiB → $((RSS1 / 1024)) MiB, $PER bytes per live request."
  echo "Targets: new submits >= 1.5x pgbench; resubmits >= 0.6x and status >= 0.7x /livez; p99 <= 10 ms; <= 4096 bytes per live request."
} | tee -a bench/RESULTS.md
