#!/usr/bin/env bash
# The service against its own OpenAPI document: schemathesis (--checks all) on a live service, on
# SQLite (`sqlite`) or on PostgreSQL (`postgres`, inside scripts/with-postgres.sh), with a
# signed-in device. Sign-out and device revocation run last, each with a session of its own, so
# that the run never signs itself out. Exits non-zero on any failure.
#   tests/api/conformance.sh sqlite [EXAMPLES]
set -euo pipefail

ENGINE=${1:?sqlite or postgres}
EXAMPLES=${2:-${KEYHAVEN_API_EXAMPLES:-25}}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=${CARGO_TARGET_DIR:-/var/tmp/keyhaven-target}/debug/keyhaven-server
VENV=${KEYHAVEN_VENV:-$ROOT/.venv}
ST="$VENV/bin/schemathesis"
[ -x "$ST" ] || { echo "schemathesis is not installed in $VENV: run make test (it installs it)" >&2; exit 1; }

DIR=$(mktemp -d /var/tmp/keyhaven-api.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export KEYHAVEN_SERVER_LISTEN="127.0.0.1:$PORT"
export KEYHAVEN_SERVER_DATA_DIR="$DIR/data"
case "$ENGINE" in
  sqlite) ;;
  postgres) export KEYHAVEN_SERVER_DATABASE_URL="${KEYHAVEN_TEST_POSTGRES_URL:?run inside scripts/with-postgres.sh}" ;;
  *) echo "unknown engine $ENGINE" >&2; exit 2 ;;
esac
# The limits have tests of their own (crates/server/tests/service/abuse.rs); here they would
# only turn most generated requests into 429s.
export KEYHAVEN_SERVER_SIGN_IN__PER_IP_ATTEMPTS=1000000
export KEYHAVEN_SERVER_SIGN_IN__PER_ACCOUNT_FAILURES=1000000
export KEYHAVEN_SERVER_SIGN_UP__PER_IP_ATTEMPTS=1000000
export KEYHAVEN_SERVER_SIGN_UP__PER_EMAIL_ATTEMPTS=1000000
export KEYHAVEN_SERVER_SMS__MAX_PER_HOUR=1000000
export KEYHAVEN_SERVER_SMS__RESEND_COOLDOWN_SECONDS=0
export KEYHAVEN_SERVER_PASSWORDS__MEMORY_KIB=1024
export KEYHAVEN_SERVER_PASSWORDS__ITERATIONS=1
export RUST_LOG=${RUST_LOG:-warn}

"$SERVER" serve >"$DIR/server.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if grep -q '"level":"ERROR"\|ERROR' "$DIR/server.log"; then
    echo "--- server errors ($ENGINE):" >&2
    grep 'ERROR' "$DIR/server.log" | head -20 >&2
  fi
  rm -rf "$DIR"
}
trap stop EXIT
for _ in $(seq 1 200); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
  sleep 0.05
done

mapfile -t TOKENS < <(python3 "$ROOT/tests/api/sign_in.py" "$BASE" "$DIR/data/sms-outbox.jsonl" 4)

run() {
  local token=$1
  shift
  "$ST" --config-file "$ROOT/tests/api/schemathesis.toml" run "$BASE/v1/openapi.json" \
    --checks all \
    --max-examples "$EXAMPLES" \
    --seed 1 \
    --generation-deterministic \
    --header "Authorization: Bearer $token" \
    --no-color \
    --workers "${KEYHAVEN_API_WORKERS:-2}" \
    "$@"
}

echo "== schemathesis on $ENGINE: every operation but the ones that end a session"
run "${TOKENS[0]}" \
  --exclude-operation-id sign_out --exclude-operation-id revoke_device --exclude-operation-id delete_account
echo "== schemathesis on $ENGINE: signing out, with its own session"
run "${TOKENS[1]}" --include-operation-id sign_out
echo "== schemathesis on $ENGINE: revoking a device, with its own session"
run "${TOKENS[2]}" --include-operation-id revoke_device
echo "== schemathesis on $ENGINE: deleting the account, with its own session"
run "${TOKENS[3]}" --include-operation-id delete_account
