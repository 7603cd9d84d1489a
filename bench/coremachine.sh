#!/usr/bin/env bash
# Benchmark: CoreMachine throughput of no-op tasks (claim → run → complete) and the latency of a
# two-stage hello_world job, with 2 and 8 task workers, next to pgbench -N -c8 TPS measured in the
# same run on the same PostgreSQL cluster.
# Targets (issue #4): tasks/s >= 0.7x pgbench TPS; hello_world p50 <= 20 ms submit → completed.
# Usage: bench/coremachine.sh. Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
TASKS=${BENCH_TASKS:-5000}
JOBS=${BENCH_JOBS:-40}
BATCH=${BENCH_CLAIM_BATCH:-64}

gp_install_packages
gp_bench_binary
gp_pg_up
DB=gp_bench_engine
gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
export GEOPLATFORM_DATABASE_URL=$(gp_db_url $DB)
"$BIN" migrate >/dev/null
"$BIN" clients create bench >/dev/null 2>&1
KEY=$("$BIN" keys create --client bench --level admin 2>/dev/null)

# Baseline: pgbench's simple-update transactions with 8 clients on the same cluster.
PGB=gp_bench_pgbench
gp_psql -d postgres -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" -c "CREATE DATABASE $PGB OWNER $GP_DB_USER" >/dev/null
PGPASSWORD=$GP_DB_PASSWORD pgbench -q -i -s 10 -h 127.0.0.1 -p "$GP_PG_PORT" -U "$GP_DB_USER" "$PGB" >/dev/null 2>&1
TPS=$(PGPASSWORD=$GP_DB_PASSWORD pgbench -N -c 8 -j 2 -T 10 -h 127.0.0.1 -p "$GP_PG_PORT" -U "$GP_DB_USER" "$PGB" 2>/dev/null | awk '/^tps/ {print int($3); exit}')
echo "pgbench -N -c8: $TPS tps" >&2

sql() { gp_psql -d "$DB" -tAc "$1"; }
wait_done() {  # job id; gives up after 5 minutes
  local deadline=$((SECONDS + 300))
  until [ "$(sql "SELECT status FROM app.jobs WHERE job_id = '$1'")" = completed ]; do
    [ $SECONDS -lt $deadline ] || gp_die "job $1 did not complete in 5 minutes"
    sleep "${2:-0.05}"
  done
}

run_engine() {  # workers → "tasks_per_s p50_ms p95_ms"
  local workers=$1 port log pid
  port=$(bench_free_port)
  log=$(mktemp)
  "$BIN" serve --port "$port" --log-level warn --set workers.task_workers="$workers" \
    --set workers.claim_batch="$BATCH" --set database.pool_size=4 \
    --set storage.bronze_root=/tmp/gp_bench/bronze --set storage.silver_root=/tmp/gp_bench/silver 2>"$log" &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  local url=http://127.0.0.1:$port H="X-Platform-API-Key: $KEY" J="Content-Type: application/json"
  # Throughput: one job of $TASKS no-op tasks; elapsed from the job's creation to its completion.
  local id
  id=$(curl -sf -X POST "$url/jobs/submit/noop" -H "$H" -H "$J" -d "{\"tasks\": $TASKS, \"tag\": \"w$workers-$RANDOM\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  wait_done "$id"
  local secs
  secs=$(sql "SELECT extract(epoch FROM completed_at - created_at) FROM app.jobs WHERE job_id = '$id'")
  local rate
  rate=$(python3 -c "print(int($TASKS / $secs))")
  # Latency: $JOBS hello_world jobs one after another, each measured by its own timestamps.
  local ids=()
  for i in $(seq 1 "$JOBS"); do
    id=$(curl -sf -X POST "$url/jobs/submit/hello_world" -H "$H" -H "$J" -d "{\"tag\": \"lat-$workers-$i-$RANDOM\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
    wait_done "$id" 0.005
    ids+=("'$id'")
  done
  local lat
  lat=$(sql "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) || ' ' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 1)
             FROM (SELECT extract(epoch FROM completed_at - created_at) * 1000 AS ms FROM app.jobs WHERE job_id IN ($(IFS=,; echo "${ids[*]}"))) x")
  kill -INT $pid; wait $pid || true
  rm -f "$log"
  echo "$rate $lat"
}

read -r R2 P50_2 P95_2 < <(run_engine 2)
read -r R8 P50_8 P95_8 < <(run_engine 8)
{
  echo
  echo "### CoreMachine: no-op task throughput and hello_world latency — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2), PostgreSQL 15 on the same machine, log level warn, claim_batch $BATCH, $TASKS no-op tasks in one job, $JOBS hello_world jobs (n=3, two stages) submitted one after another; times from the jobs' own created_at/completed_at."
  echo
  echo "| | pgbench -N -c8 (baseline) | 2 workers | 8 workers |"
  echo "|---|---|---|---|"
  echo "| no-op tasks/s | $TPS tps | $R2 | $R8 |"
  echo "| tasks/s ÷ pgbench tps | 1 | $(python3 -c "print(f'{$R2/$TPS:.2f}')") | $(python3 -c "print(f'{$R8/$TPS:.2f}')") |"
  echo "| hello_world p50 / p95 (ms) | | $P50_2 / $P95_2 | $P50_8 / $P95_8 |"
  echo
  echo "Targets: tasks/s >= 0.7x pgbench tps; hello_world p50 <= 20 ms."
} | tee -a bench/RESULTS.md
gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $PGB WITH (FORCE)" >/dev/null
