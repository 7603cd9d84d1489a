#!/usr/bin/env bash
# Benchmark: what one webhook delivery costs, in CPU, two builds side by side. N deliveries
# (default 40,000; long enough that the service's start is a small part) are inserted straight
# into the outbox for one fast local receiver (bench/webhooks/receiver.js), then delivered by
# build A, then again by build B, alternating for BENCH_PAIRS pairs (default 3): on a shared
# machine one run's speed differs from the next by as much as the effects measured, so only
# differences that hold in every pair count.
# For each run: the rate (deliveries / (last delivered_at - first attempt)), the CPU time per
# delivery of the service, of PostgreSQL (every postgres process, from the service's start to
# its stop: start-up connections and background writers included) and of the receiver, read
# from /proc, and the share of the machine's time left idle while it delivered.
# Usage: BIN_A=path BIN_B=path bench/webhooks_cpu.sh [deliveries]
#   (a path defaults to the build's geoplatform). Appends to bench/RESULTS.md.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/webhooks/lib.sh"
cd "$GP_ROOT"
N=${1:-40000}
PAIRS=${BENCH_PAIRS:-3}

gp_install_packages nodejs
gp_bench_binary
A=${BIN_A:-$BIN}
B=${BIN_B:-$BIN}
for b in "$A" "$B"; do [ -x "$b" ] || gp_die "$b is not an executable file"; done
gp_pg_up
bench_pg_huge_pages
wh_setup gp_bench_webhooks_cpu
python3 -c 'import json; print(json.dumps({"event": "platform.ping", "filler": "y" * 1600}))' > "$WORK/body.json"

# One run of build $1: prints "rate serve_us pg_us receiver_us idle%".
run() {
  local bin=$1 port
  wh_fresh_database "$bin"
  wh_insert "$N" "$WORK/body.json" "$P"
  wh_receiver_rate "$P" >/dev/null  # the receiver counts from here
  local pg0 rx0 m0 m1 sv pg1 rx1
  pg0=$(wh_pg_ticks); rx0=$(wh_ticks $RX); m0=$(wh_machine_ticks)
  port=$(bench_free_port)
  "$bin" serve --port "$port" --log-level warn --set webhooks.allow_private_addresses=true \
    --set workers.task_workers=0 --set storage.bronze_root="$WORK/bronze" \
    --set storage.silver_root="$WORK/silver" 2>"$WORK/serve.log" &
  PID=$!
  # One request to the receiver waits for the end: polling the outbox would add to the
  # PostgreSQL CPU measured.
  wh_wait_answered "$P" "$N" || gp_die "not all $N were delivered in time (see $WORK/serve.log)"
  sv=$(wh_ticks $PID); pg1=$(wh_pg_ticks); rx1=$(wh_ticks $RX); m1=$(wh_machine_ticks)
  # The last outcomes are written a few milliseconds after their answers.
  for _ in $(seq 1 100); do
    [ "$(gp_psql -d "$DB" -tAc "SELECT count(*) FROM platform.webhook_delivery_state WHERE status = 'delivered'")" -ge "$N" ] && break
    sleep 0.1
  done
  kill -INT $PID; wait $PID || true; PID=
  local rate
  rate=$(gp_psql -d "$DB" -tAc "SELECT round(count(*) / extract(epoch FROM max(delivered_at) - min(last_attempt_at)))::int FROM platform.webhook_delivery_state WHERE status = 'delivered' HAVING count(*) = $N")
  [ -n "$rate" ] || gp_die "not all $N were delivered (see $WORK/serve.log)"
  echo "$rate $((sv * 10000 / N)) $(((pg1 - pg0) * 10000 / N)) $(((rx1 - rx0) * 10000 / N)) $(wh_idle_pct $m0 $m1)"
}

P=$(bench_free_port)
wh_start_receiver "$P"

ROWS=()
for pair in $(seq 1 "$PAIRS"); do
  for side in A B; do
    bin=$A; [ $side = A ] || bin=$B
    read -r rate sv pg rx idle < <(run "$bin")
    echo "pair $pair, $side: $rate deliveries/s; µs per delivery: service $sv, PostgreSQL $pg, receiver $rx; idle $idle %" >&2
    ROWS+=("| $pair | $side | $rate | $sv | $pg | $rx | $idle |")
  done
done
wh_stop_receiver

{
  echo
  echo "### Webhook delivery CPU, two builds: $N deliveries to one endpoint — $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Machine: $(bench_machine); A = $A ($("$A" version)), B = $B ($("$B" version)); default webhooks settings, PostgreSQL and the receiver on the same cores; µs of CPU per delivery (service from its start, PostgreSQL from the service's start)."
  echo
  echo "| pair | build | deliveries/s | service µs | PostgreSQL µs | receiver µs | idle % |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee -a bench/RESULTS.md
