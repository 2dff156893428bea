#!/usr/bin/env bash
# Runs the end-to-end suites: the real app binary under Xvfb, driven by tauri-driver + WebKitWebDriver,
# inside a private D-Bus session. Screenshots go to artifacts/screenshots (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

: "${CARGO_TARGET_DIR:=/var/tmp/keyhaven-target}"
export KEYHAVEN_APP_BIN="${KEYHAVEN_APP_BIN:-$CARGO_TARGET_DIR/debug/keyhaven-desktop}"
export KEYHAVEN_SCREENSHOTS="${KEYHAVEN_SCREENSHOTS:-$PWD/artifacts/screenshots}"
export NO_AT_BRIDGE=1
export PATH="$HOME/.cargo/bin:$PATH"

[ -x "$KEYHAVEN_APP_BIN" ] || { echo "e2e: no app binary at $KEYHAVEN_APP_BIN; run make e2e" >&2; exit 1; }
mkdir -p "$KEYHAVEN_SCREENSHOTS"

# A hang must end as a failure that names its test, not as a CI run that never finishes: each
# test and hook gets 3 minutes (the longest takes about 30 s), the whole run 30.
exec timeout --kill-after=30s 30m xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
  dbus-run-session -- node --test --test-concurrency=1 --test-timeout=180000 "${@:-tests/e2e/}"
