#!/usr/bin/env bash
# Berth against CNCF Distribution 2.8.2 on this machine, in one run: installs what it needs (Debian packages),
# builds Berth (Release) and the harness, starts both registries on loopback, runs every workload for both,
# interleaved, and writes a Markdown table to bench/results/.
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
declare -A COMMANDS=([docker-registry]=docker-registry [skopeo]=skopeo [wrk]=wrk [hey]=hey [apache2-utils]=htpasswd)
missing=()
for package in "${!COMMANDS[@]}"; do
  command -v "${COMMANDS[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
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

exec dotnet "$ARTIFACTS/bin/Berth.Bench/release/Berth.Bench.dll" \
  --berth-dll "$SERVER_DLL" \
  --wrk-script "$ROOT/bench/wrk.lua" \
  --out "$ROOT/bench/results" \
  "$@"
