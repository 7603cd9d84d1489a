# Shared by the webhook benchmarks (webhooks.sh, webhooks_cpu.sh): a scratch database and work
# folder removed on exit, the fast local receiver, deliveries inserted straight into the outbox,
# and one run of a node delivering them, timed and accounted in CPU. Source after scripts/lib.sh and bench/lib.sh.

# Sets WORK (with bronze and silver folders) and DB (named $1, dropped on exit); PID and RX, when
# set, are the service and the receiver, stopped on exit.
wh_setup() {
  WORK=$(mktemp -d "/tmp/$1.XXXX")
  DB=$1
  PID=
  RX=
  trap '{ [ -z "$PID" ] || kill -INT $PID 2>/dev/null; } || true; { [ -z "$RX" ] || kill $RX 2>/dev/null; } || true; wait 2>/dev/null || true; rm -rf "$WORK"; gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  mkdir -p "$WORK/bronze" "$WORK/silver"
}

# (Re)creates $DB, migrated by $1, with the client bench allowed to call back 127.0.0.1.
wh_fresh_database() {
  gp_psql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB OWNER $GP_DB_USER TEMPLATE geoplatform_template" >/dev/null
  export GEOPLATFORM_DATABASE_URL=$(gp_db_url "$DB")
  "$1" migrate >/dev/null
  "$1" clients create bench --callback-host 127.0.0.1 >/dev/null 2>&1
}

# Starts bench/webhooks/receiver.js on the given ports (and hanging ones after --hang); sets RX.
wh_start_receiver() {
  node bench/webhooks/receiver.js "$@" > "$WORK/receiver.out" &
  RX=$!
  for _ in $(seq 1 100); do grep -q ready "$WORK/receiver.out" 2>/dev/null && return; sleep 0.05; done
  echo "the receiver did not start" >&2
  exit 1
}
# The receiver's rate (any of its ports, $1) since the last call: POSTs answered / (last answer -
# first request), as wrk counts its own.
wh_receiver_rate() {
  curl -sf "http://127.0.0.1:$1/stats" |
    python3 -c 'import json, sys; s = json.load(sys.stdin); d = s["last_ms"] - s["first_ms"]; print(round(s["answered"] * 1000 / d) if d > 0 else 0)'
}
# Waits (at most 300 s) until the receiver answered $2 POSTs since wh_receiver_rate last ran.
wh_wait_answered() { curl -sf --max-time 300 "http://127.0.0.1:$1/wait?answered=$2" >/dev/null; }
wh_stop_receiver() { kill $RX; wait $RX || true; RX=; }

# Replaces the outbox of $DB with $1 due pings of client bench, body the file $2, to the ports
# that follow, round robin.
wh_insert() {
  local n=$1 body=$2
  shift 2
  local ports="{$(echo "$@" | tr ' ' ',')}"
  gp_psql -d "$DB" -c "DELETE FROM platform.webhook_deliveries" >/dev/null  # and their states
  gp_psql -d "$DB" -v body="$(cat "$body")" >/dev/null <<SQL
INSERT INTO platform.webhook_deliveries (delivery_id, client_id, url, host, event, payload)
SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), 'bench',
       'http://127.0.0.1:' || p || '/hooks', '127.0.0.1:' || p, 'platform.ping', :'body'::json
FROM generate_series(1, $n) i, LATERAL (SELECT ('$ports'::int[])[1 + i % cardinality('$ports'::int[])] AS p) s;
-- Each due a microsecond after the one before, in the order inserted, all in the past: events
-- written one by one are never due at the same instant, as one INSERT's rows would be.
INSERT INTO platform.webhook_delivery_state (delivery_id, client_id, host, next_attempt_at)
SELECT delivery_id, client_id, host,
       now() - interval '1 second' + i * interval '1 microsecond'
FROM (SELECT delivery_id, client_id, host,
             row_number() OVER (ORDER BY created_at, delivery_id) AS i
      FROM platform.webhook_deliveries) e;
VACUUM ANALYZE platform.webhook_deliveries;
VACUUM ANALYZE platform.webhook_delivery_state;
SQL
}

# Starts serve (build $1; the arguments after the third go to it) over the outbox of $DB, waits
# until the receiver (port $RX_PORT, process $RX) answered $2 POSTs and the outbox shows as many
# delivered matching the SQL condition $3, stops serve. Prints "<rate> <seconds>" of those, from
# the outbox (deliveries / (last delivered_at - first attempt's start)), then the CPU ticks of
# serve, of PostgreSQL (every process, serve's connections among them) and of the receiver, and
# the machine's idle share (%), from serve's start until the last was answered. The wait is one
# request to the receiver: polling PostgreSQL, or starting a client every few tenths of a second,
# would take CPU from the run it times.
wh_deliver() {  # bin want condition [serve arguments]
  local bin=$1 want=$2 cond=$3
  shift 3
  local port pg0 rx0 m0 cpu rate
  local delivered="platform.webhook_deliveries JOIN platform.webhook_delivery_state USING (delivery_id, client_id, host) WHERE status = 'delivered' AND $cond"
  port=$(bench_free_port)
  pg0=$(bench_pg_ticks); rx0=$(bench_ticks $RX); m0=$(bench_machine_ticks)
  "$bin" serve --port "$port" --log-level warn --set webhooks.allow_private_addresses=true \
    --set storage.bronze_root="$WORK/bronze" --set storage.silver_root="$WORK/silver" "$@" \
    2>"$WORK/serve.log" &
  PID=$!
  wh_wait_answered "$RX_PORT" "$want" ||
    { echo "not delivered in time" >&2; tail "$WORK/serve.log" >&2; exit 1; }
  cpu="$(bench_ticks $PID) $(($(bench_pg_ticks) - pg0)) $(($(bench_ticks $RX) - rx0)) $(bench_idle_pct $m0 $(bench_machine_ticks))"
  # The last outcomes are written a few milliseconds after their answers.
  for _ in $(seq 1 100); do
    [ "$(gp_psql -d "$DB" -tAc "SELECT count(*) >= $want FROM $delivered")" = t ] && break
    sleep 0.1
  done
  kill -INT $PID; wait $PID || true; PID=
  rate=$(gp_psql -d "$DB" -tAc "SELECT round(($want / extract(epoch FROM max(delivered_at) - min(last_attempt_at)))::numeric) || ' ' || round(extract(epoch FROM max(delivered_at) - min(last_attempt_at))::numeric, 2) FROM $delivered HAVING count(*) >= $want")
  [ -n "$rate" ] || { echo "not all $want were delivered (see $WORK/serve.log)" >&2; exit 1; }
  echo "$rate $cpu"
}
