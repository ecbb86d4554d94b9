#!/usr/bin/env bash
# Installs berth-server and berth from this checkout, ReadyToRun-compiled, and puts both on the PATH.
#
#   ./install.sh                       framework-dependent (needs the .NET 10 / ASP.NET Core runtime) into
#                                      ~/.local/share/berth, commands linked into ~/.local/bin
#   ./install.sh --prefix /usr/local   into PREFIX/lib/berth, commands linked into PREFIX/bin
#   ./install.sh --self-contained      with its own .NET runtime: the folder runs on a machine without .NET
#   ./install.sh --no-ready-to-run     skip ReadyToRun (smaller, slower to start)
#
# Builds in a temporary directory: nothing is written inside the checkout. Needs the .NET 10 SDK (and NuGet for the
# runtime packs of --self-contained and ReadyToRun). Running it again replaces the installed version.
set -euo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

prefix=""
self_contained=false
ready_to_run=true
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --self-contained) self_contained=true; shift ;;
    --no-ready-to-run) ready_to_run=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

if ! command -v dotnet >/dev/null; then
  echo "install.sh: the .NET 10 SDK (dotnet) is needed to build Berth" >&2
  exit 1
fi

case "$(uname -m)" in
  x86_64|amd64) rid=linux-x64 ;;
  aarch64|arm64) rid=linux-arm64 ;;
  *) echo "install.sh: no .NET runtime identifier known for $(uname -m)" >&2; exit 1 ;;
esac

if [ -n "$prefix" ]; then
  mkdir -p "$prefix"
  prefix="$(cd "$prefix" && pwd)"
  home="$prefix/lib/berth"
  bin="$prefix/bin"
else
  home="${XDG_DATA_HOME:-$HOME/.local/share}/berth"
  bin="$HOME/.local/bin"
fi

root="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/berth-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

publish() { # project output
  dotnet publish "$root/src/$1" -c Release -r "$rid" --self-contained "$self_contained" \
    -p:PublishReadyToRun="$ready_to_run" --artifacts-path "$work/artifacts" -o "$2" -nologo -v:quiet
}

kind=$([ "$self_contained" = true ] && echo self-contained || echo framework-dependent)
echo "install.sh: building berth-server and berth ($kind, $rid, ReadyToRun $ready_to_run)"
publish Berth.Server "$work/server"
publish Berth.Cli "$work/cli"

# Swapped in whole: no file of an older version is left beside the new ones.
mkdir -p "$home" "$bin"
for part in server cli; do
  rm -rf "$home/$part.old"
  [ -e "$home/$part" ] && mv "$home/$part" "$home/$part.old"
  mv "$work/$part" "$home/$part"
  rm -rf "$home/$part.old"
done

# The apphost finds its folder through the link, so appsettings.json next to Berth.Server is read wherever it is started.
ln -sfn "$home/server/Berth.Server" "$bin/berth-server"
ln -sfn "$home/cli/berth" "$bin/berth"

echo "install.sh: installed $("$bin/berth-server" --version) and berth $("$bin/berth" --version) into $home"
echo "install.sh: commands: $bin/berth-server, $bin/berth"
case ":$PATH:" in
  *":$bin:"*) ;;
  *) echo "install.sh: $bin is not on your PATH; add it, e.g.: echo 'export PATH=\"$bin:\$PATH\"' >> ~/.profile" ;;
esac
