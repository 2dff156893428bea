#!/usr/bin/env bash
# `make run`: the local Keyhaven Account service (SQLite, SMS codes to its outbox and log) and
# the desktop app; stopping the app stops the service.
set -euo pipefail

TARGET=${CARGO_TARGET_DIR:-/var/tmp/keyhaven-target}/debug
export KEYHAVEN_SERVER_DATA_DIR=${KEYHAVEN_SERVER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/keyhaven-server}
export KEYHAVEN_SERVER_LISTEN=${KEYHAVEN_SERVER_LISTEN:-127.0.0.1:8787}

"$TARGET/keyhaven-server" serve &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
echo "Keyhaven Account service on http://$KEYHAVEN_SERVER_LISTEN (SMS codes in $KEYHAVEN_SERVER_DATA_DIR/sms-outbox.jsonl)"
echo "Starting Keyhaven (the CLI is at $TARGET/keyhaven)"
"$TARGET/keyhaven-desktop"
