#!/usr/bin/env bash
# Benchmark: authenticated GET /platform/whoami against the unauthenticated GET /livez, both with
# wrk -t2 -c64 -d10s --latency against one geoplatform serve, measured in the same run.
# Target (issue #3): whoami >= 0.6x the /livez rate and whoami p99 <= 5 ms once the key is cached.
# Usage: bench/http_auth.sh [log level, default warn]. Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
cd "$GP_ROOT"
LOG_LEVEL=${1:-warn}
DURATION=${BENCH_DURATION:-10s}

gp_install_packages wrk
gp_build geoplatform
gp_pg_up
BIN=$GP_BUILD_DIR/app/geoplatform
export GEOPLATFORM_DATABASE_URL=$(gp_db_url)
"$BIN" migrate >/dev/null
"$BIN" clients create bench --if-not-exists >/dev/null 2>&1
KEY=$("$BIN" keys create --client bench --level internal --description "benchmark" 2>/dev/null)

PORT=$(bench_free_port)
LOG=$(mktemp)
"$BIN" serve --port "$PORT" --log-level "$LOG_LEVEL" \
  --set storage.bronze_root=/tmp/gp_bench/bronze --set storage.silver_root=/tmp/gp_bench/silver \
  ${BENCH_SERVE_ARGS:-} \
  2>"$LOG" &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; "$BIN" keys revoke "${KEY:3:8}" >/dev/null 2>&1 || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT
curl -sf -H "X-Platform-API-Key: $KEY" "$URL/platform/whoami" >/dev/null   # warm the key cache

run_wrk() {  # name, path, extra wrk args → "rps p50 p99"
  local out
  out=$(wrk -t2 -c64 -d"$DURATION" --latency "${@:3}" "$URL$2")
  echo "$out" >&2
  local rps p50 p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  echo "$rps $p50 $p99"
}

read -r L_RPS L_P50 L_P99 < <(run_wrk livez /livez)
read -r W_RPS W_P50 W_P99 < <(run_wrk whoami /platform/whoami -H "X-Platform-API-Key: $KEY")
RATIO=$(python3 -c "print(f'{$W_RPS / $L_RPS:.2f}')")

{
  echo
  echo "### HTTP auth: /platform/whoami vs /livez — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); geoplatform $("$BIN" version | cut -d' ' -f2), log level $LOG_LEVEL, default config${BENCH_SERVE_ARGS:+ plus $BENCH_SERVE_ARGS} (1 I/O thread, scheduler threads = cores, scheduler policy sharing); wrk -t2 -c64 -d$DURATION --latency on the same machine."
  echo
  echo "| route | req/s | p50 | p99 |"
  echo "|---|---|---|---|"
  echo "| GET /livez (no key, baseline) | $L_RPS | $L_P50 | $L_P99 |"
  echo "| GET /platform/whoami (cached key) | $W_RPS | $W_P50 | $W_P99 |"
  echo
  echo "whoami / livez = **$RATIO** (target >= 0.6); whoami p99 = **$W_P99** (target <= 5 ms)."
} | tee -a bench/RESULTS.md
