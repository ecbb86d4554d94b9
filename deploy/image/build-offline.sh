#!/usr/bin/env bash
# Builds Berth's container image with buildah from scratch, downloading nothing: no base image, only this machine's
# files. The server is published self-contained (-r linux-x64; the runtime packs come from the NuGet source the
# machine already uses), or taken from an existing build (--publish-dir), and the shared libraries it loads are
# copied in from the host: the ELF loader, glibc, libstdc++/libgcc_s, OpenSSL 3 (loaded at run time, so ldd does not
# show it), the CA bundle. No ICU: Berth runs with InvariantGlobalization. No shell in the image.
#
# deploy/Containerfile is the same image for users who can pull mcr.microsoft.com/dotnet/aspnet.
#
# Usage: deploy/image/build-offline.sh [options]
#   --publish-dir DIR    Use this publish folder or build output (e.g. src/Berth.Server/bin/Release/net10.0) instead of
#                        publishing. Without the runtime in it (framework-dependent), the host's .NET runtime
#                        (the folder `dotnet` runs from) is copied into the image as /usr/share/dotnet.
#   --tag NAME           Image name (default localhost/berth/berth-server:VERSION, VERSION from git describe)
#   --dest IMAGE         Where to commit it (default containers-storage:TAG); e.g. oci-archive:/tmp/berth.tar:latest
#   --no-compress        Store layers uncompressed (faster to commit; a registry push sends more bytes)
#   --root DIR, --runroot DIR, --storage-driver D   Passed to buildah (its own storage, as for `buildah --root`)
# Prints the image id (the config digest) on stdout; everything else goes to stderr.
#
# Then run it, e.g.:
#   podman run -d --name berth -p 127.0.0.1:5000:5000 -v berth-data:/var/lib/berth localhost/berth/berth-server:VERSION \
#     --admin-password 'choose-one'
# deploy/image/demo.sh builds, runs and pushes the image into itself.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RID=linux-x64
PUBLISH_DIR=""
TAG=""
DEST=""
COMPRESS=1
BUILDAH=(buildah)
# The unprivileged user the server runs as inside the image; owns the data volume.
APP_UID=10001

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --publish-dir) PUBLISH_DIR="$(cd "$2" && pwd)"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --dest) DEST="$2"; shift 2 ;;
    --no-compress) COMPRESS=0; shift ;;
    --root|--runroot|--storage-driver) BUILDAH+=("$1" "$2"); shift 2 ;;
    -h|--help) usage ;;
    *) echo "build-offline.sh: unknown argument '$1'" >&2; usage ;;
  esac
done

for tool in buildah ldd ldconfig tar; do
  command -v "$tool" >/dev/null || { echo "build-offline.sh: $tool is needed" >&2; exit 1; }
done

VERSION="$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo dev)"
REVISION="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
TAG="${TAG:-localhost/berth/berth-server:$VERSION}"
DEST="${DEST:-containers-storage:$TAG}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/berth-image.XXXXXX")"
CONTAINER=""
cleanup() {
  if [ -n "$CONTAINER" ]; then "${BUILDAH[@]}" rm "$CONTAINER" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- 1. the application --------------------------------------------------------------------------------------------
if [ -z "$PUBLISH_DIR" ]; then
  # Published from a copy of the sources (tracked and untracked, not ignored) so that the RID-specific restore and
  # build never touch the work tree's obj/ and bin/, which a running build or test may be using.
  echo "build-offline.sh: dotnet publish -r $RID --self-contained" >&2
  mkdir -p "$WORK/src"
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard | (cd "$ROOT" && tar -c --null -T - -f -) | tar -x -C "$WORK/src"
  dotnet publish "$WORK/src/src/Berth.Server" -c Release -r "$RID" --self-contained -o "$WORK/publish" -nologo -v:minimal >&2
  PUBLISH_DIR="$WORK/publish"
fi

APPHOST=""
for name in berth-server Berth.Server; do
  if [ -x "$PUBLISH_DIR/$name" ] && [ -f "$PUBLISH_DIR/$name.dll" ]; then APPHOST="$name"; break; fi
done
[ -n "$APPHOST" ] || { echo "build-offline.sh: no berth-server or Berth.Server executable in $PUBLISH_DIR" >&2; exit 1; }

ROOTFS="$WORK/rootfs"
mkdir -p "$ROOTFS/app" "$ROOTFS/usr/local/bin" "$ROOTFS/usr/lib/x86_64-linux-gnu" "$ROOTFS/usr/lib64" \
  "$ROOTFS/etc/ssl/certs" "$ROOTFS/tmp" "$ROOTFS/var/lib"
chmod 1777 "$ROOTFS/tmp"
# Debian's merged /usr, so the paths compiled into binaries (/lib64/ld-linux-x86-64.so.2) hold.
ln -s usr/lib "$ROOTFS/lib"
ln -s usr/lib64 "$ROOTFS/lib64"
cp -a "$PUBLISH_DIR/." "$ROOTFS/app/"
# A build output carries native assets for every platform; only this one's are loaded.
if [ -d "$ROOTFS/app/runtimes" ]; then
  find "$ROOTFS/app/runtimes" -mindepth 1 -maxdepth 1 -type d ! -name "$RID" ! -name linux ! -name unix -exec rm -rf {} +
fi
# LTTng tracing is optional and liblttng-ust is not here; without the provider the runtime does not try it.
rm -f "$ROOTFS/app/libcoreclrtraceptprovider.so"
ln -s "/app/$APPHOST" "$ROOTFS/usr/local/bin/berth-server"

ENV=()
if [ ! -f "$PUBLISH_DIR/libcoreclr.so" ]; then
  # Framework-dependent: the host's shared frameworks (the versions this build runs on) go to /usr/share/dotnet.
  DOTNET_HOST="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  echo "build-offline.sh: framework-dependent; copying the runtime from $DOTNET_HOST" >&2
  mkdir -p "$ROOTFS/usr/share/dotnet/shared"
  cp -a "$DOTNET_HOST/dotnet" "$DOTNET_HOST/host" "$DOTNET_HOST/LICENSE.txt" "$DOTNET_HOST/ThirdPartyNotices.txt" "$ROOTFS/usr/share/dotnet/"
  for framework in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
    cp -a "$DOTNET_HOST/shared/$framework" "$ROOTFS/usr/share/dotnet/shared/"
  done
  rm -f "$ROOTFS"/usr/share/dotnet/shared/Microsoft.NETCore.App/*/libcoreclrtraceptprovider.so
  ENV+=(--env DOTNET_ROOT=/usr/share/dotnet)
fi

# --- 2. the libraries it loads -------------------------------------------------------------------------------------
# Everything ldd resolves for the executables and native libraries in the image, plus what .NET dlopens by name:
# OpenSSL 3 (System.Security.Cryptography.Native.OpenSsl) for HTTPS, token signing and S3.
libraries() {
  find "$ROOTFS/app" "$ROOTFS/usr/share" -type f \( -name '*.so' -o -name "$APPHOST" -o -name dotnet \) 2>/dev/null |
    while read -r file; do ldd "$file" 2>/dev/null || true; done |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
  for name in libssl.so.3 libcrypto.so.3; do
    ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ { print $NF; exit }'
  done
}
missing="$(find "$ROOTFS/app" -name '*.so' -exec ldd {} \; 2>/dev/null | grep 'not found' || true)"
if [ -n "$missing" ]; then
  echo "build-offline.sh: libraries not found on this machine:" >&2
  echo "$missing" >&2
  exit 1
fi
for lib in $(libraries | sort -u); do
  case "$lib" in
    "$ROOTFS"/*) continue ;; # one of the image's own
  esac
  # The file under the name the loader looks for (a symlink's target, copied as that name).
  cp -L "$lib" "$ROOTFS/usr/lib/x86_64-linux-gnu/$(basename "$lib")"
done
# libssl's own dependencies (libcrypto, already above) and the loader under its PT_INTERP path.
mv "$ROOTFS/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$ROOTFS/usr/lib64/ld-linux-x86-64.so.2"
ln -s ../../lib64/ld-linux-x86-64.so.2 "$ROOTFS/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
echo /usr/lib/x86_64-linux-gnu >"$ROOTFS/etc/ld.so.conf"
ldconfig -r "$ROOTFS" 2>/dev/null || true

# --- 3. the few files a process expects in /etc ---------------------------------------------------------------------
cp -L /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nberth:x:%s:%s:Berth:/var/lib/berth:/usr/sbin/nologin\n' "$APP_UID" "$APP_UID" >"$ROOTFS/etc/passwd"
printf 'root:x:0:\nberth:x:%s:\n' "$APP_UID" >"$ROOTFS/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"

# Everything root-owned, /var/lib/berth the server's own (numeric ids: no passwd lookup on this side).
tar -C "$ROOTFS" --numeric-owner --owner=0 --group=0 -cf "$WORK/rootfs.tar" .
mkdir -p "$WORK/data/var/lib/berth"
chmod 700 "$WORK/data/var/lib/berth"
tar -C "$WORK/data" --numeric-owner --owner="$APP_UID" --group="$APP_UID" -cf "$WORK/data.tar" ./var/lib/berth

# --- 4. the image -------------------------------------------------------------------------------------------------
CONTAINER="$("${BUILDAH[@]}" from --name "berth-build-$$" scratch)"
"${BUILDAH[@]}" add "$CONTAINER" "$WORK/rootfs.tar" / >/dev/null
"${BUILDAH[@]}" add "$CONTAINER" "$WORK/data.tar" / >/dev/null
CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
"${BUILDAH[@]}" config \
  --os linux --arch amd64 \
  --user "$APP_UID:$APP_UID" \
  --workingdir /var/lib/berth \
  --env HOME=/var/lib/berth \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --env DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
  "${ENV[@]}" \
  --entrypoint '["/usr/local/bin/berth-server", "--urls", "http://0.0.0.0:5000", "--data-dir", "/var/lib/berth"]' \
  --cmd '' \
  --port 5000/tcp \
  --volume /var/lib/berth \
  --stop-signal SIGTERM \
  --label org.opencontainers.image.title=berth-server \
  --label "org.opencontainers.image.description=Berth, an OCI / Docker container registry with an index" \
  --label "org.opencontainers.image.version=$VERSION" \
  --label "org.opencontainers.image.revision=$REVISION" \
  --label "org.opencontainers.image.created=$CREATED" \
  "$CONTAINER"

COMMIT=(commit --quiet --format oci --rm)
if [ "$COMPRESS" -eq 0 ]; then COMMIT+=(--disable-compression); else COMMIT+=(--disable-compression=false); fi
"${BUILDAH[@]}" "${COMMIT[@]}" "$CONTAINER" "$DEST"
CONTAINER=""
echo "build-offline.sh: committed $DEST ($VERSION)" >&2
