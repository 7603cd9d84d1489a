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
  wh_fresh_database "$1"
  wh_insert "$N" "$WORK/body.json" "$P"
  wh_receiver_rate "$P" >/dev/null  # the receiver counts from here
  local rate sv pg rx idle
  read -r rate _ sv pg rx idle < <(wh_deliver "$1" "$N" true --set workers.task_workers=0) ||
    gp_die "the run of $1 did not end (see above)"
  echo "$rate $((sv * 10000 / N)) $((pg * 10000 / N)) $((rx * 10000 / N)) $idle"
}

P=$(bench_free_port)
RX_PORT=$P
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
