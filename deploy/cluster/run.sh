#!/usr/bin/env bash
# Try a Berth cluster on this machine: a throw-away PostgreSQL, s3rver (an S3 emulator), three Berth nodes sharing
# the database, the bucket and one token signing key, and nginx round robin in front. Loopback only.
#
#   deploy/cluster/run.sh start [--work DIR]    start everything; prints the URL and the admin password
#   deploy/cluster/run.sh status [--work DIR]   what is running
#   deploy/cluster/run.sh stop [--work DIR]     stop what start started (pid files) and keep the data
#   deploy/cluster/run.sh clean [--work DIR]    stop, then delete the work directory
#
# Needs: Debian packages postgresql and nginx, nodejs + npm (s3rver is installed under the work dir), the .NET SDK.
# Ports (environment): BERTH_CLUSTER_PORT (nginx, default 8080), BERTH_CLUSTER_NODE_PORTS (default "8081 8082 8083"),
# BERTH_CLUSTER_S3_PORT (default 8090). PostgreSQL listens on a unix socket in the work dir only.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$HERE/.work"
COMMAND="${1:-}"
shift || true
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

PORT="${BERTH_CLUSTER_PORT:-8080}"
read -r -a NODE_PORTS <<<"${BERTH_CLUSTER_NODE_PORTS:-8081 8082 8083}"
S3_PORT="${BERTH_CLUSTER_S3_PORT:-8090}"
S3RVER_VERSION=3.7.1
SERVER_DLL="${BERTH_SERVER_DLL:-$ROOT/src/Berth.Server/bin/Release/net10.0/Berth.Server.dll}"
PG="$WORK/pg"
PIDS="$WORK/pids"
LOGS="$WORK/logs"

say() { printf '%s\n' "$*"; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
# PostgreSQL refuses to run as root: as root, its cluster belongs to the postgres user.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Polls URL until it answers one of the HTTP codes in $2 (e.g. "200 401 403"); bounded by $3 seconds.
wait_http() {
  local url="$1" codes="$2" seconds="$3" code
  for _ in $(seq 1 $((seconds * 5))); do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)"
    case " $codes " in *" $code "*) return 0 ;; esac
    sleep 0.2
  done
  return 1
}

# Starts "$@" in the background with its output in logs/$name.log and its pid in pids/$name.pid.
spawn() {
  local name="$1"
  shift
  "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

start_postgres() {
  local bin
  bin="$(pg_bin)"
  [ -n "$bin" ] || die "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"
  mkdir -p "$PG"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG"; fi
  if [ ! -f "$PG/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
      || die "initdb failed: see $LOGS/initdb.log"
  fi
  if [ -f "$PG/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$PG/data" status >/dev/null 2>&1; then
    return 0
  fi
  as_pg "$bin/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$PG' -c max_connections=400" start >/dev/null \
    || die "PostgreSQL did not start: see $PG/server.log"
}

stop_postgres() {
  local bin
  bin="$(pg_bin)"
  if [ -n "$bin" ] && [ -f "$PG/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$PG/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
}

start_s3rver() {
  local script="${BERTH_S3RVER:-$WORK/npm/node_modules/s3rver/bin/s3rver.js}"
  if [ ! -f "$script" ]; then
    command -v npm >/dev/null || die "npm is missing (apt-get install nodejs npm)"
    say "installing s3rver@$S3RVER_VERSION under $WORK/npm"
    npm install --prefix "$WORK/npm" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >"$LOGS/npm.log" 2>&1 \
      || die "npm install s3rver failed: see $LOGS/npm.log"
  fi
  mkdir -p "$WORK/s3"
  alive s3rver && return 0
  port_free "$S3_PORT" || die "port $S3_PORT (s3rver) is taken: set BERTH_CLUSTER_S3_PORT"
  spawn s3rver node "$script" -d "$WORK/s3" -a 127.0.0.1 -p "$S3_PORT" --silent --configure-bucket berth
  wait_http "http://127.0.0.1:$S3_PORT/berth" "200 403" 30 || die "s3rver did not answer: see $LOGS/s3rver.log"
}

start_node() {
  local n="$1" port="$2"
  alive "node$n" && return 0
  port_free "$port" || die "port $port (node $n) is taken: set BERTH_CLUSTER_NODE_PORTS"
  mkdir -p "$WORK/node$n"
  spawn "node$n" dotnet "$SERVER_DLL" \
    --urls "http://127.0.0.1:$port" \
    --data-dir "$WORK/node$n" \
    --database postgres --connection-string "Host=$PG;Username=postgres;Database=berth" \
    --storage s3 --s3-endpoint "http://127.0.0.1:$S3_PORT" --s3-bucket berth --s3-region us-east-1 \
    --s3-access-key S3RVER --s3-secret-key S3RVER --s3-path-style \
    --token-key "$WORK/keys/token-signing.pem" \
    --trusted-proxies 127.0.0.1/32 \
    --admin-password "$(cat "$WORK/admin-password")"
}

start_nginx() {
  command -v nginx >/dev/null || die "nginx is missing (apt-get install nginx)"
  alive nginx && return 0
  port_free "$PORT" || die "port $PORT (nginx) is taken: set BERTH_CLUSTER_PORT"
  local upstreams="" user=""
  # awk -v turns the \n escapes into newlines.
  for port in "${NODE_PORTS[@]}"; do upstreams+="        server 127.0.0.1:$port;\\n"; done
  if [ "$(id -u)" -eq 0 ]; then user="user root;"; fi
  mkdir -p "$WORK/nginx/tmp"
  # The same template the cluster tests render (tests/Berth.Cluster.Tests/Support/Nginx.cs).
  awk -v work="$WORK/nginx" -v port="$PORT" -v user="$user" -v upstreams="${upstreams%\\n}" '
    { gsub(/@WORK@/, work); gsub(/@PORT@/, port); gsub(/@USER@/, user); if ($0 ~ /@UPSTREAMS@/) $0 = upstreams; print }
  ' "$HERE/nginx.conf.template" >"$WORK/nginx/nginx.conf"
  nginx -t -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$LOGS/nginx-t.log" 2>&1 || die "nginx -t failed: see $LOGS/nginx-t.log"
  # daemon off in the config: nginx stays in the foreground as our child, its pid is the master's.
  spawn nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
}

cmd_start() {
  mkdir -p "$WORK" "$PIDS" "$LOGS" "$WORK/keys"
  if [ ! -f "$SERVER_DLL" ]; then
    say "building Berth.Server (Release)"
    dotnet build "$ROOT/src/Berth.Server/Berth.Server.csproj" -c Release -nologo -v:quiet >"$LOGS/build.log" 2>&1 \
      || die "build failed: see $LOGS/build.log"
  fi
  if [ ! -f "$WORK/admin-password" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$WORK/admin-password")
  fi

  say "PostgreSQL (unix socket in $PG)"
  start_postgres
  say "s3rver on 127.0.0.1:$S3_PORT, bucket berth"
  start_s3rver
  # Node 1 first: it creates the database, schema, admin account and signing key; the others then start together.
  say "Berth nodes on ${NODE_PORTS[*]}"
  start_node 1 "${NODE_PORTS[0]}"
  wait_http "http://127.0.0.1:${NODE_PORTS[0]}/v2/" "200 401" 120 || die "node 1 did not start: see $LOGS/node1.log"
  for i in 1 2; do start_node $((i + 1)) "${NODE_PORTS[$i]}"; done
  for i in 1 2; do
    wait_http "http://127.0.0.1:${NODE_PORTS[$i]}/v2/" "200 401" 120 || die "node $((i + 1)) did not start: see $LOGS/node$((i + 1)).log"
  done
  say "nginx on 127.0.0.1:$PORT"
  start_nginx
  wait_http "http://127.0.0.1:$PORT/v2/" "200 401" 30 || die "nginx did not answer: see $WORK/nginx/error.log"

  say ""
  say "Berth cluster: http://127.0.0.1:$PORT  (user admin, password $(cat "$WORK/admin-password"))"
  say "  e.g. skopeo login --tls-verify=false -u admin 127.0.0.1:$PORT"
  say "  logs in $LOGS, stop with: $0 stop --work $WORK"
}

cmd_status() {
  local name all=yes
  for name in s3rver node1 node2 node3 nginx; do
    if alive "$name"; then say "$name: running (pid $(cat "$PIDS/$name.pid"))"; else say "$name: stopped"; all=no; fi
  done
  if [ -n "$(pg_bin)" ] && [ -f "$PG/data/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$PG/data" status >/dev/null 2>&1; then
    say "postgresql: running"
  else
    say "postgresql: stopped"
  fi
  [ "$all" = yes ] && say "balancer: http://127.0.0.1:$PORT/v2/ answers $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/v2/")"
  return 0
}

cmd_stop() {
  local name pid
  for name in nginx node3 node2 node1 s3rver; do
    [ -f "$PIDS/$name.pid" ] || continue
    pid="$(cat "$PIDS/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
      say "stopped $name"
    fi
    rm -f "$PIDS/$name.pid"
  done
  stop_postgres
  say "stopped postgresql"
}

case "$COMMAND" in
  start) cmd_start ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  clean) cmd_stop; rm -rf "$WORK" ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
