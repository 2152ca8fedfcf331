#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for tests and benchmarks (never a system service).
#   scripts/pg-cluster.sh start DIR [PORT]   initdb in DIR, start on 127.0.0.1:PORT (a free one if not given),
#                                            create the database `yizhan`, print its URL on stdout
#   scripts/pg-cluster.sh stop DIR           fast shutdown (in-flight transactions roll back)
#   scripts/pg-cluster.sh kill DIR           SIGKILL the postmaster (an outage, for the outage tests)
#   scripts/pg-cluster.sh restart DIR        start again on the same port after stop/kill
#   scripts/pg-cluster.sh destroy DIR        stop and remove DIR
# Installs Debian's PostgreSQL when no server binaries are found, without letting the package create or start
# its own cluster. initdb refuses to run as root: as root, the cluster runs as the `postgres` user (created by
# the package) or, failing that, a `yizhan-pg` user made here.
set -euo pipefail

cmd=${1:?usage: pg-cluster.sh start|stop|kill|restart|destroy DIR [PORT]}
dir=${2:?usage: pg-cluster.sh start|stop|kill|restart|destroy DIR [PORT]}

bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

install_server() {
  [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ] && return 0
  echo "pg-cluster: installing PostgreSQL (Debian packages)" >&2
  mkdir -p /etc/postgresql-common
  # The package would otherwise create (and try to start) a `main` cluster as a system service.
  grep -qs '^create_main_cluster *= *false' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >>/etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
    return
  fi
  local user=postgres
  if ! getent passwd "$user" >/dev/null; then
    user=yizhan-pg
    getent passwd "$user" >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  runuser -u "$user" -- "$@"
}

owner_chown() {
  [ "$(id -u)" -ne 0 ] && return 0
  local user=postgres
  getent passwd "$user" >/dev/null || user=yizhan-pg
  chown -R "$user" "$1"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_ready() {
  local port=$1
  for _ in $(seq 1 100); do
    "$(bindir)/pg_isready" -q -h 127.0.0.1 -p "$port" && return 0
    sleep 0.1
  done
  echo "pg-cluster: the server on port $port never became ready; its log:" >&2
  cat "$dir/log" >&2 || true
  return 1
}

start_server() {
  local port
  port=$(cat "$dir/port")
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $dir/sock -c max_connections=200" start >/dev/null
  wait_ready "$port"
}

case "$cmd" in
start)
  install_server
  mkdir -p "$dir/sock"
  dir=$(cd "$dir" && pwd)
  port=${3:-$(free_port)}
  echo "$port" >"$dir/port"
  owner_chown "$dir"
  # As root the cluster runs as another user, who must be able to reach DIR (mktemp -d makes 0700 directories).
  if ! as_owner test -w "$dir"; then
    echo "pg-cluster: the cluster's owner cannot reach $dir: make its parent directories traversable (chmod 0755)" >&2
    exit 1
  fi
  as_owner "$(bindir)/initdb" -D "$dir/data" -U yizhan --auth=trust -E UTF8 --no-locale >"$dir/initdb.log"
  start_server
  "$(bindir)/psql" -q -h 127.0.0.1 -p "$port" -U yizhan -d postgres -c 'create database yizhan' >/dev/null
  echo "postgres://yizhan@127.0.0.1:$port/yizhan"
  ;;
stop)
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
kill)
  pid=$(head -1 "$dir/data/postmaster.pid")
  kill -9 "$pid"
  # Wait until the postmaster is gone (not even a zombie): a later start checks the pid in its lock file.
  for _ in $(seq 1 100); do
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ] && break
    sleep 0.1
  done
  # Its orphaned backends exit when they notice; the lock file is stale from now on.
  sleep 0.5
  rm -f "$dir/data/postmaster.pid" "$dir"/sock/.s.PGSQL.*.lock
  ;;
restart)
  # After a kill the orphaned backends take a moment to notice and release the shared memory: retry.
  for _ in $(seq 1 50); do
    start_server 2>/dev/null && exit 0
    sleep 0.2
  done
  start_server
  ;;
destroy)
  as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "pg-cluster: unknown command $cmd" >&2
  exit 2
  ;;
esac
