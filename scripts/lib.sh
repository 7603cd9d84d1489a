# Shared by scripts/run and scripts/test: packages, build, and the project's PostgreSQL cluster.
# Conventions (docs/operations.md): one PostgreSQL 15 cluster per port, "geoplatform" on the default
# port 5433 and "geoplatform_<port>" on any other GEOPLATFORM_PG_PORT (or GEOPLATFORM_PG_CLUSTER),
# never moved or restarted by these scripts; role/database "geoplatform", PostGIS installed by the
# superuser, and a template database "geoplatform_template" (with PostGIS) from which tests clone
# throw-away databases.

GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GP_PG_VERSION=15
GP_PG_PORT=${GEOPLATFORM_PG_PORT:-5433}
if [ "$GP_PG_PORT" = 5433 ]; then GP_PG_CLUSTER=${GEOPLATFORM_PG_CLUSTER:-geoplatform}
else GP_PG_CLUSTER=${GEOPLATFORM_PG_CLUSTER:-geoplatform_$GP_PG_PORT}; fi
GP_DB_USER=geoplatform
GP_DB_PASSWORD=geoplatform
GP_DB_NAME=geoplatform
GP_BUILD_DIR=${GEOPLATFORM_BUILD_DIR:-$GP_ROOT/build}

GP_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  libcaf-dev libcli11-dev libtomlplusplus-dev
  libpqxx-dev nlohmann-json3-dev libboost-dev libboost-system-dev libspdlog-dev libfmt-dev
  libssl-dev libgtest-dev libgmock-dev libgdal-dev gdal-bin python3 python3-gdal python3-jsonschema libjemalloc-dev
  postgresql-15 postgresql-15-postgis-3 postgresql-contrib curl procps util-linux
  openssl ca-certificates
  python3-fusepy libfuse2
)

gp_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
gp_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs whatever is missing (idempotent; apt-get update only when something is missing).
gp_install_packages() {
  local missing=() p
  for p in "${GP_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || gp_die "missing packages (${missing[*]}); run as root or install them"
  gp_say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# promtool (the metrics test checks GET /metrics with it), taken out of Debian's prometheus
# package into .local/tools/ without installing the package (which would set up and start a
# Prometheus server). Prints its path.
gp_install_promtool() {
  local tools=$GP_ROOT/.local/tools
  if command -v promtool >/dev/null; then command -v promtool; return 0; fi
  if [ -x "$tools/promtool" ]; then echo "$tools/promtool"; return 0; fi
  gp_say "fetching promtool from Debian's prometheus package"
  local tmp; tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
    apt-get update -qq
    (cd "$tmp" && apt-get download -qq prometheus >/dev/null) ||
      gp_die "cannot download Debian's prometheus package (for promtool)"
  fi
  dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x" || gp_die "cannot unpack the prometheus package"
  mkdir -p "$tools"
  cp "$tmp/x/usr/bin/promtool" "$tools/promtool" || gp_die "no promtool in the prometheus package"
  rm -rf "$tmp"
  echo "$tools/promtool"
}

# The Node tools the tests run offline (tests/tools: the OpenAPI validator of
# tests/e2e/test_openapi.py): Debian's nodejs and npm when node or npm is missing, then the packages
# pinned by tests/tools/package-lock.json, installed again only when the lock file is newer.
gp_install_node_tools() {
  local tools=$GP_ROOT/tests/tools
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    gp_install_packages nodejs npm
  fi
  if [ ! -d "$tools/node_modules" ] || [ "$tools/package-lock.json" -nt "$tools/node_modules" ]; then
    gp_say "installing the test tools of tests/tools (npm ci)"
    (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
      gp_die "npm ci in tests/tools failed"
    # npm ci leaves the folder's time as it found it when nothing changed inside.
    touch "$tools/node_modules"
  fi
}

# Configures and builds `$@` (default: everything, tests included).
gp_build() {
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G} CCACHE_BASEDIR=$GP_ROOT
  local gen=() targets=()
  command -v ninja >/dev/null && [ ! -f "$GP_BUILD_DIR/Makefile" ] && gen=(-G Ninja)
  for t in "$@"; do targets+=(--target "$t"); done
  gp_say "configuring in $GP_BUILD_DIR"
  cmake -S "$GP_ROOT" -B "$GP_BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  gp_say "building ${*:-everything} (ccache: $(command -v ccache >/dev/null && echo on || echo off))"
  cmake --build "$GP_BUILD_DIR" --parallel "$(nproc)" "${targets[@]}"
}

# Sets BIN to the geoplatform binary a benchmark runs: GEOPLATFORM_BIN when set (e.g. a copy of an
# earlier build, for comparing two builds in alternating runs), else this tree's, built first.
gp_bench_binary() {
  if [ -n "${GEOPLATFORM_BIN:-}" ]; then
    [ -x "$GEOPLATFORM_BIN" ] || gp_die "GEOPLATFORM_BIN=$GEOPLATFORM_BIN is not an executable file"
    BIN=$GEOPLATFORM_BIN
  else
    gp_build geoplatform
    BIN=$GP_BUILD_DIR/app/geoplatform
  fi
}

gp_psql() { PGOPTIONS='-c client_min_messages=warning' runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$GP_PG_PORT" "$@"; }

# "port status" of cluster $1 of PostgreSQL $GP_PG_VERSION, empty when there is none.
gp_cluster_info() {
  pg_lsclusters -h 2>/dev/null | awk -v v="$GP_PG_VERSION" -v c="$1" '$1==v && $2==c {print $3, $4}'
}

# Creates and starts the project's cluster, role, databases and PostGIS (as root). A cluster that
# is already running is left as it is (a demo may be using it); one on another port than asked
# for is never moved: that stops here with what to do instead.
gp_pg_up() {
  [ "$(id -u)" -eq 0 ] || gp_die "setting up the PostgreSQL cluster needs root (pg_createcluster)"
  local info port status other
  info=$(gp_cluster_info "$GP_PG_CLUSTER")
  if [ -z "$info" ]; then
    other=$(pg_lsclusters -h 2>/dev/null | awk -v p="$GP_PG_PORT" '$3==p {print $1"/"$2}' | head -1)
    [ -z "$other" ] || gp_die "port $GP_PG_PORT is taken by PostgreSQL cluster $other; choose another with GEOPLATFORM_PG_PORT"
    gp_say "creating PostgreSQL $GP_PG_VERSION cluster '$GP_PG_CLUSTER' on port $GP_PG_PORT"
    pg_createcluster "$GP_PG_VERSION" "$GP_PG_CLUSTER" -p "$GP_PG_PORT" >/dev/null
    info=$(gp_cluster_info "$GP_PG_CLUSTER")
  fi
  read -r port status <<<"$info"
  if [ "$port" != "$GP_PG_PORT" ]; then
    gp_die "PostgreSQL cluster '$GP_PG_CLUSTER' listens on port $port, not $GP_PG_PORT; use it with GEOPLATFORM_PG_PORT=$port (and GEOPLATFORM_PG_CLUSTER=$GP_PG_CLUSTER), or move it yourself while nothing uses it: pg_conftool $GP_PG_VERSION $GP_PG_CLUSTER set port $GP_PG_PORT && pg_ctlcluster $GP_PG_VERSION $GP_PG_CLUSTER restart"
  fi
  if [ "$status" != online ]; then
    gp_say "starting cluster '$GP_PG_CLUSTER' (port $GP_PG_PORT)"
    # The server must not inherit a descriptor of the caller's (scripts/run holds its run lock on
    # fd 9): a PostgreSQL started here outlives the script and would keep the lock forever.
    pg_ctlcluster "$GP_PG_VERSION" "$GP_PG_CLUSTER" start 9>&-
  fi
  local i
  for i in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p "$GP_PG_PORT" && break; sleep 0.2; done
  pg_isready -q -h 127.0.0.1 -p "$GP_PG_PORT" || gp_die "PostgreSQL did not come up on port $GP_PG_PORT"
  gp_psql -d postgres <<SQL
SELECT 'CREATE ROLE $GP_DB_USER LOGIN CREATEDB PASSWORD ''$GP_DB_PASSWORD'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$GP_DB_USER') \gexec
SELECT 'CREATE DATABASE $GP_DB_NAME OWNER $GP_DB_USER'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$GP_DB_NAME') \gexec
SELECT 'CREATE DATABASE geoplatform_template OWNER $GP_DB_USER'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'geoplatform_template') \gexec
SQL
  # Tests drop their scratch databases WITH (FORCE); that must be allowed to end an autovacuum
  # worker that happens to be visiting the database.
  gp_psql -d postgres -c "GRANT pg_signal_backend TO $GP_DB_USER"
  gp_psql -d "$GP_DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis" \
    -c "CREATE EXTENSION IF NOT EXISTS btree_gist"
  # The template is closed to connections once PostGIS is in it; a template already closed is left
  # alone, since opening it again would fail the clones of tests running beside this script.
  if [ "$(gp_psql -d postgres -tAc "SELECT datistemplate AND NOT datallowconn FROM pg_database WHERE datname = 'geoplatform_template'")" != t ]; then
    gp_psql -d postgres -c "ALTER DATABASE geoplatform_template ALLOW_CONNECTIONS true"
    gp_psql -d geoplatform_template -c "CREATE EXTENSION IF NOT EXISTS postgis" \
      -c "CREATE EXTENSION IF NOT EXISTS btree_gist"
    # No session (autovacuum included) may sit in the template while tests clone it.
    gp_psql -d postgres -c "ALTER DATABASE geoplatform_template IS_TEMPLATE true ALLOW_CONNECTIONS false"
  fi
}

gp_db_url() {
  echo "postgresql://$GP_DB_USER:$GP_DB_PASSWORD@127.0.0.1:$GP_PG_PORT/${1:-$GP_DB_NAME}"
}
