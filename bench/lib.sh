# Shared by the benchmarks: the Machine: line, CPU ticks from /proc, a free port, PostgreSQL on
# huge pages and with pg_stat_statements, and for the geodata ones (raster.sh, vector.sh) a fresh
# `serve` on a free port over the database in $GEOPLATFORM_DATABASE_URL with bronze and silver
# folders under $WORK, and one client that submits a request and polls it to the end. Source after scripts/lib.sh; the service functions
# need $BIN and $WORK.

# The machine, as a benchmark entry's "Machine:" line starts: cores, CPU model and memory.
bench_machine() {
  echo "$(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(free -g | awk '/Mem:/ {print $2}') GiB"
}

# CPU accounting from /proc, in clock ticks (10 ms): a process's user + system time (a thread's
# with PID/task/TID: /proc/TID/stat itself counts the whole process), every PostgreSQL process's (background workers included), and the whole machine's
# "total idle"; bench_idle_pct T0 I0 T1 I1 is the idle share (%) between two of the last.
bench_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
bench_pg_ticks() {
  local s=0 p
  for p in $(pgrep -u postgres postgres); do s=$((s + $(bench_ticks "$p"))); done
  echo $s
}
bench_machine_ticks() { head -1 /proc/stat | awk '{print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $5}'; }
bench_idle_pct() { echo $((($4 - $2) * 100 / ($3 - $1 > 0 ? $3 - $1 : 1))); }
# Ticks as seconds.
bench_seconds() { awk -v t="$1" 'BEGIN {print t / 100}'; }

# A free TCP port on 127.0.0.1.
bench_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Migrates, creates the client `bench` and an internal key, starts serve (with the extra
# arguments of the array BENCH_SERVE_ARGS, if set). Sets KEY, PORT, PID and RSS0 (MiB at start).
bench_start_service() {
  "$BIN" migrate >/dev/null
  "$BIN" clients create bench --rate-limit 2000000000 --read-rate-limit 2000000000 >/dev/null 2>&1
  KEY=$("$BIN" keys create --client bench --level internal 2>/dev/null)
  PORT=$(bench_free_port)
  "$BIN" serve --port "$PORT" --log-level warn --set workers.idle_poll_max_ms=20 \
    --set storage.bronze_root="$WORK/bronze" --set storage.silver_root="$WORK/silver" \
    ${BENCH_SERVE_ARGS[@]+"${BENCH_SERVE_ARGS[@]}"} 2>"$WORK/serve.log" &
  PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
  RSS0=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$PID/status")
}

# Submits one request (dataset_id $1, request_type $2, source_path $3; resource r, version v1),
# polls its status every 50 ms on one connection (no process started per poll: that would take
# CPU from the work measured) and prints the seconds from submit to completed.
bench_run_request() {
  /usr/bin/python3 - "$PORT" "$KEY" "$1" "$2" "$3" <<'PY'
import http.client, json, sys, time
port, key, dataset, kind, source = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"X-Platform-API-Key": key, "Content-Type": "application/json"}
start = time.time()
c.request("POST", "/platform/submit", json.dumps({
    "dataset_id": dataset, "resource_id": "r", "version_id": "v1", "request_type": kind,
    "source_path": source}), h)
rid = json.loads(c.getresponse().read())["request_id"]
while True:
    c.request("GET", "/platform/status/" + rid, headers=h)
    doc = json.loads(c.getresponse().read())
    if doc["status"] == "completed":
        break
    if doc["status"] not in ("pending", "processing"):
        sys.exit("the request ended %s: %s" % (doc["status"], doc.get("error")))
    time.sleep(0.05)
print(round(time.time() - start, 2))
PY
}

# Restarts the cluster (a setting that needs it changed) and waits until it answers. The server
# must not inherit the caller's descriptor 9 (scripts/run's lock: see gp_pg_up).
bench_pg_restart() {
  pg_ctlcluster "$GP_PG_VERSION" "$GP_PG_CLUSTER" restart 9>&-
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$GP_PG_PORT" && break; sleep 0.2; done
}

# Backs PostgreSQL's shared memory with 2 MiB huge pages when the kernel can reserve them
# (vm.nr_hugepages, as root), restarting the cluster once to take them (huge_pages = try, the
# default). With 4 KiB pages every server process faults each shared buffer into its own page
# table on first touch: a service started for a run has fresh connections, and a run that reads
# tens of thousands of new rows spent about a quarter of PostgreSQL's CPU on those faults on a
# virtual machine (bench/RESULTS.md, 2026-12-07). docs/operations.md recommends the same in
# production.
bench_pg_huge_pages() {
  local mb need total free
  mb=$(gp_psql -d postgres -tAc "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'")
  need=$((mb / 2 + mb / 8 + 16))  # shared_buffers and PostgreSQL's other shared memory
  total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
  if [ "${total:-0}" -lt "$need" ]; then
    sysctl -qw vm.nr_hugepages="$need" 2>/dev/null ||
      { gp_say "no huge pages for PostgreSQL (vm.nr_hugepages cannot be set here)"; return 0; }
  fi
  total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
  free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
  [ "$free" -eq "$total" ] || return 0  # in use: the cluster has them
  [ "$total" -ge "$need" ] || { gp_say "only $total huge pages could be reserved, PostgreSQL needs $need"; return 0; }
  gp_say "restarting cluster '$GP_PG_CLUSTER' on huge pages ($need reserved)"
  bench_pg_restart
}

# PostgreSQL's own account of the statements a run makes (pg_stat_statements, shipped with
# PostgreSQL): bench_pg_statements_on loads the module (a restart, once) and
# bench_pg_statements_off unloads it again (a restart); bench_pg_statements_reset DB starts the
# count for database DB; bench_pg_statements_time DB PATTERN prints "<ms> <calls>" of the
# service's statements (those of $GP_DB_USER, not the benchmark's own queries) whose text matches
# the ILIKE PATTERN. Loading the module costs every statement a little: compare only runs made
# with it loaded.
bench_pg_preloaded() { gp_psql -d postgres -tAc "SHOW shared_preload_libraries"; }
bench_pg_statements_on() {
  local loaded
  loaded=$(bench_pg_preloaded)
  [ "$loaded" = pg_stat_statements ] && return 0
  # Unloading resets the setting: a cluster that preloads anything else is left alone.
  [ -z "$loaded" ] || gp_die "cluster '$GP_PG_CLUSTER' preloads '$loaded'; BENCH_PG_STATEMENTS needs it to preload nothing"
  gp_say "restarting cluster '$GP_PG_CLUSTER' with pg_stat_statements"
  gp_psql -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  bench_pg_restart
}
bench_pg_statements_off() {
  [ "$(bench_pg_preloaded)" = pg_stat_statements ] || return 0
  gp_psql -d postgres -c "ALTER SYSTEM RESET shared_preload_libraries"
  bench_pg_restart
}
bench_pg_statements_reset() {
  gp_psql -d "$1" -qtAc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "SELECT pg_stat_statements_reset()" >/dev/null
}
bench_pg_statements_time() {
  gp_psql -d "$1" -tAc "SELECT round(coalesce(sum(total_exec_time), 0)) || ' ' || coalesce(sum(calls), 0)
    FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND userid = (SELECT oid FROM pg_roles WHERE rolname = '$GP_DB_USER')
      AND query ILIKE '$2'"
}
