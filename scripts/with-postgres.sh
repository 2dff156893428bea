#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL of its own: a fresh data dir, its own port, loopback
# only. The command sees KEYHAVEN_TEST_POSTGRES_URL (an admin URL; tests create a database each)
# and KEYHAVEN_TEST_PG_DUMP. PostgreSQL stops when the command ends, whatever its outcome.
#   scripts/with-postgres.sh cargo test --workspace
# KEYHAVEN_PG_FSYNC=on keeps durable commits (benchmarks); tests run with fsync off.
set -euo pipefail

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found: run scripts/install-deps.sh" >&2; exit 1; }

DIR=$(mktemp -d /var/tmp/keyhaven-pg.XXXXXX)
PORT=${KEYHAVEN_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
FSYNC=${KEYHAVEN_PG_FSYNC:-off}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

[ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
chmod 0700 "$DIR"
as_owner "$PG_BIN/initdb" -D "$DIR/data" -U keyhaven --auth=trust -E UTF8 --no-instructions >/dev/null
stop() {
  as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT
as_owner "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w start \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=$FSYNC -c max_connections=400" >/dev/null
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $DIR)"

export KEYHAVEN_TEST_POSTGRES_URL="postgres://keyhaven@127.0.0.1:$PORT/postgres"
export KEYHAVEN_TEST_PG_DUMP="$PG_BIN/pg_dump"
"$@"
