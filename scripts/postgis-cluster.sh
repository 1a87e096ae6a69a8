#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 + PostGIS cluster for tests and benchmarks, installing the
# Debian packages first when they are missing. Prints the admin DATABASE_URL on stdout.
#
#   eval "$(scripts/postgis-cluster.sh start)"   # exports GRIDATLAS_TEST_PG
#   scripts/postgis-cluster.sh stop
#
# The cluster lives in $GRIDATLAS_PG_DIR (default: a folder under the system temp dir) and listens
# on 127.0.0.1:$GRIDATLAS_PG_PORT (default 55432). PostgreSQL refuses to run as root, so the
# server runs as the `postgres` user.
set -euo pipefail

PORT="${GRIDATLAS_PG_PORT:-55432}"
DIR="${GRIDATLAS_PG_DIR:-${TMPDIR:-/tmp}/gridatlas-pg-$PORT}"
BIN=/usr/lib/postgresql/15/bin
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [ ! -x "$BIN/initdb" ] || [ ! -f /usr/share/postgresql/15/extension/postgis.control ]; then
    echo "installing postgresql-15-postgis-3 ..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >&2
  fi
}

start() {
  install
  if as_postgres "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
    echo "export GRIDATLAS_TEST_PG=$URL"
    return
  fi
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
  if [ ! -f "$DIR/PG_VERSION" ]; then
    as_postgres "$BIN/initdb" -D "$DIR" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >&2
  fi
  as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=512MB" start >&2
  echo "export GRIDATLAS_TEST_PG=$URL"
}

stop() {
  as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast stop >&2 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
