#!/usr/bin/env bash
# The demo a registry can give: build Berth's image offline (build-offline.sh), run it with podman, push that same
# image into the Berth running in it, pull it back and compare digests. Loopback only; downloads nothing.
#
# Usage: deploy/image/demo.sh [--port N] [--keep] [build-offline.sh options, e.g. --publish-dir DIR]
#   --port N   Where the container listens, on 127.0.0.1 (default 5099)
#   --keep     Leave the container running (named berth-demo) and its files, and print how to reach it
# buildah and podman use a private vfs storage under the work directory, so the machine's images are not touched.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PORT=5099
KEEP=0
BUILD_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    *) BUILD_ARGS+=("$1"); shift ;;
  esac
done

# Lower case: podman names an image run from oci:PATH after the path, and image names are lower case.
WORK="/tmp/berth-demo-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -m 700 "$WORK"
STORE=(--root "$WORK/storage" --runroot "$WORK/run" --storage-driver vfs)
PODMAN=(podman "${STORE[@]}" --tmpdir "$WORK/ptmp" --cgroup-manager cgroupfs --events-backend file)
PASSWORD="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
REMOTE="docker://127.0.0.1:$PORT/berth/berth-server:demo"
finish() {
  if [ "$KEEP" -eq 0 ]; then
    "${PODMAN[@]}" rm --force berth-demo >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap finish EXIT
mkdir -p "$WORK/tmp"
export TMPDIR="$WORK/tmp"

step() { printf '\n== %s\n' "$*" >&2; }

step "build the image (build-offline.sh ${BUILD_ARGS[*]})"
"$HERE/build-offline.sh" "${STORE[@]}" --dest "oci:$WORK/image:berth" "${BUILD_ARGS[@]}" >/dev/null
BUILT="$(grep -o '"digest":"sha256:[0-9a-f]*"' "$WORK/image/index.json" | head -n 1 | cut -d'"' -f4)"
echo "manifest $BUILT" >&2

step "run it: podman run --network host … --urls http://127.0.0.1:$PORT"
# Limits no higher than this shell's: podman's defaults would raise them, which needs CAP_SYS_RESOURCE.
nofile="$(ulimit -Hn)"; [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
nproc="$(ulimit -Hu)"; [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
"${PODMAN[@]}" run --detach --name berth-demo --network host \
  --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" \
  "oci:$WORK/image:berth" --urls "http://127.0.0.1:$PORT" --admin-password "$PASSWORD" >/dev/null
for _ in $(seq 1 240); do
  code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/" || true)"
  [ "$code" = 401 ] && break
  sleep 0.5
done
[ "$code" = 401 ] || { echo "no answer from /v2/ within 120 s" >&2; "${PODMAN[@]}" logs berth-demo >&2; exit 1; }
echo "/v2/ answers 401 with a token challenge" >&2

step "push Berth's image into Berth: skopeo copy oci:… $REMOTE"
skopeo --insecure-policy copy --quiet --dest-tls-verify=false --dest-creds "admin:$PASSWORD" \
  --digestfile "$WORK/pushed" "oci:$WORK/image:berth" "$REMOTE"
PUSHED="$(cat "$WORK/pushed")"
echo "pushed   $PUSHED" >&2

step "pull it back: skopeo copy $REMOTE dir:…"
skopeo --insecure-policy copy --quiet --src-tls-verify=false --src-creds "admin:$PASSWORD" --preserve-digests \
  "$REMOTE" "dir:$WORK/pulled"
PULLED="sha256:$(sha256sum "$WORK/pulled/manifest.json" | cut -d' ' -f1)"
echo "pulled   $PULLED" >&2

if [ "$BUILT" = "$PUSHED" ] && [ "$PUSHED" = "$PULLED" ]; then
  echo "same digest built, pushed and pulled: $PULLED"
else
  echo "digests differ: built $BUILT, pushed $PUSHED, pulled $PULLED" >&2
  exit 1
fi
if [ "$KEEP" -eq 1 ]; then
  echo "berth-demo keeps running on http://127.0.0.1:$PORT (admin / $PASSWORD); podman ${STORE[*]} rm -f berth-demo"
fi
