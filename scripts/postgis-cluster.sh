#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 + PostGIS cluster for tests and benchmarks, and a streaming
# replica of it, installing the Debian packages first when they are missing. Prints the admin
# URLs as shell exports on stdout.
#
#   eval "$(scripts/postgis-cluster.sh start)"   # exports GRIDATLAS_TEST_PG, GRIDATLAS_TEST_PG_REPLICA
#   scripts/postgis-cluster.sh stop
#
# The primary lives in $GRIDATLAS_PG_DIR (default: a folder under the system temp dir) and listens
# on 127.0.0.1:$GRIDATLAS_PG_PORT (default 55432); the replica, made by pg_basebackup, lives
# beside it and listens on the next port. PostgreSQL refuses to run as root, so the servers run
# as the `postgres` user.
set -euo pipefail

PORT="${GRIDATLAS_PG_PORT:-55432}"
DIR="${GRIDATLAS_PG_DIR:-${TMPDIR:-/tmp}/gridatlas-pg-$PORT}"
BIN=/usr/lib/postgresql/15/bin
URL="postgres://postgres@127.0.0.1:$PORT/postgres"
REPLICA_PORT=$((PORT + 1))
REPLICA_DIR="$DIR-replica"
REPLICA_URL="postgres://postgres@127.0.0.1:$REPLICA_PORT/postgres"

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
  if ! as_postgres "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
    mkdir -p "$DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; fi
    if [ ! -f "$DIR/PG_VERSION" ]; then
      as_postgres "$BIN/initdb" -D "$DIR" -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >&2
    fi
    as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=512MB" start >&2
  fi
  replica
  echo "export GRIDATLAS_TEST_PG=$URL"
  echo "export GRIDATLAS_TEST_PG_REPLICA=$REPLICA_URL"
}

# The streaming replica: a base backup of the primary that follows its WAL (hot standby).
replica() {
  if as_postgres "$BIN/pg_ctl" -D "$REPLICA_DIR" status >/dev/null 2>&1; then return; fi
  if [ ! -f "$REPLICA_DIR/standby.signal" ]; then
    rm -rf "$REPLICA_DIR"
    mkdir -p "$REPLICA_DIR"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$REPLICA_DIR"; fi
    chmod 700 "$REPLICA_DIR"
    as_postgres "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$REPLICA_DIR" -R -X stream --no-sync >&2
  fi
  as_postgres "$BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/server.log" -w \
    -o "-p $REPLICA_PORT -k $REPLICA_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c hot_standby=on" start >&2
}

stop() {
  as_postgres "$BIN/pg_ctl" -D "$REPLICA_DIR" -m fast stop >&2 || true
  as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast stop >&2 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
