#!/usr/bin/env bash
# Berth against CNCF Distribution 2.8.2 on this machine, in one run: installs what it needs (Debian packages,
# s3rver from npm), builds Berth (Release) and the harness, starts both registries on loopback, runs every workload
# for both, interleaved, and writes a Markdown table to bench/results/. Issue 10's sections (s3: both registries on
# s3rver; pg: Berth on PostgreSQL vs SQLite; cluster: three nodes vs one behind nginx) follow in the same file; this
# script starts the throw-away PostgreSQL cluster they use (bench/.work/pg, a unix socket only) and stops it at exit.
#
#   bench/run.sh                 full run (5 repetitions, 256 MiB blobs, 10,000 repositories/tags; ~15 min)
#   bench/run.sh --smoke         1 repetition, tiny sizes: checks that everything starts (< 2 min)
#   bench/run.sh --reps 3 ...    any option of the harness (bench/run.sh --help lists them)
#   BERTH_SERVER_DLL=path/Berth.Server.dll bench/run.sh   measure an existing build instead of building src/
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$(pwd)"
ARTIFACTS="$ROOT/bench/.work/artifacts"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive

# --- packages: the reference registry, the image client, the HTTP load generator, htpasswd -------------------------
# PostgreSQL, nginx and node/npm (for s3rver) for issue 10's sections.
declare -A COMMANDS=([docker-registry]=docker-registry [skopeo]=skopeo [wrk]=wrk [hey]=hey [apache2-utils]=htpasswd
  [nginx]=nginx [nodejs]=node [npm]=npm)
missing=()
for package in "${!COMMANDS[@]}"; do
  command -v "${COMMANDS[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "=== installing ${missing[*]}"
  apt_get() { if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo -n apt-get "$@"; fi; }
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- build: into bench/.work, so a build running elsewhere in the tree does not collide with this one --------------
build() {
  local project="$1" attempt
  for attempt in 1 2 3; do
    if dotnet build "$project" -c Release --nologo -v:quiet --artifacts-path "$ARTIFACTS" >"$ROOT/bench/.work/build.log" 2>&1; then
      return 0
    fi
    # Another build may hold a file lock (shared NuGet cache, obj/): wait and try again. Anything else is final.
    grep -qiE "being used by another process|MSB3026|MSB3027|MSB3021|lock" "$ROOT/bench/.work/build.log" || break
    echo "build of $project failed (attempt $attempt); retrying" >&2
    sleep 5
  done
  cat "$ROOT/bench/.work/build.log" >&2
  return 1
}
mkdir -p "$ROOT/bench/.work"
SERVER_DLL="${BERTH_SERVER_DLL:-}"
if [ -z "$SERVER_DLL" ]; then
  echo "=== building Berth.Server (Release)"
  build src/Berth.Server/Berth.Server.csproj
  SERVER_DLL="$ARTIFACTS/bin/Berth.Server/release/Berth.Server.dll"
fi
echo "=== building the harness"
build bench/Berth.Bench/Berth.Bench.csproj

# --- s3rver, the S3 emulator of the s3 and cluster sections (the version the tests use) ---------------------------
S3RVER_VERSION=3.7.1
S3RVER_DIR="$ROOT/bench/.work/npm"
S3RVER="$S3RVER_DIR/node_modules/s3rver/bin/s3rver.js"
if [ ! -f "$S3RVER" ] || ! grep -q "\"version\": \"$S3RVER_VERSION\"" "$S3RVER_DIR/node_modules/s3rver/package.json" 2>/dev/null; then
  echo "=== npm install s3rver@$S3RVER_VERSION"
  mkdir -p "$S3RVER_DIR"
  npm install --prefix "$S3RVER_DIR" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >&2 || echo "could not install s3rver" >&2
fi
extra=()
[ -f "$S3RVER" ] && extra+=(--s3rver "$S3RVER")

# --- PostgreSQL: a throw-away cluster for the pg and cluster sections (as test.sh's, but fsync on) -----------------
# PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user. synchronous_commit=off is
# about what SQLite's WAL mode with synchronous=NORMAL promises (a crash may lose the last commits, never corrupts).
PG_WORK="$ROOT/bench/.work/pg"
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() { if [ -f "$PG_WORK/data/postmaster.pid" ]; then as_pg "$(pg_bin)/pg_ctl" -D "$PG_WORK/data" -m fast -w stop >/dev/null 2>&1 || true; fi; }
start_postgres() {
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] || return 1
  stop_postgres
  rm -rf "$PG_WORK" && mkdir -p "$PG_WORK" || return 1
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_WORK"; fi
  as_pg "$bin/initdb" -D "$PG_WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PG_WORK/initdb.log" 2>&1 || return 1
  as_pg "$bin/pg_ctl" -D "$PG_WORK/data" -l "$PG_WORK/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PG_WORK' -c max_connections=400 -c synchronous_commit=off" start >/dev/null || return 1
}
trap stop_postgres EXIT
if start_postgres; then
  extra+=(--pg "Host=$PG_WORK;Username=postgres")
else
  echo "could not start PostgreSQL: see $PG_WORK (the pg and cluster sections will say so)" >&2
fi

dotnet "$ARTIFACTS/bin/Berth.Bench/release/Berth.Bench.dll" \
  --berth-dll "$SERVER_DLL" \
  --wrk-script "$ROOT/bench/wrk.lua" \
  --out "$ROOT/bench/results" \
  "${extra[@]}" \
  "$@"
