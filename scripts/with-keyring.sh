#!/usr/bin/env bash
# Runs the given command inside a private D-Bus session with an unlocked gnome-keyring: a real
# Secret Service that exists only for this command (its keyring files live in a temp dir).
set -euo pipefail
if [[ -n "${KEYHAVEN_TEST_KEYRING:-}" ]]; then exec "$@"; fi
keyring_home=$(mktemp -d /var/tmp/keyhaven-keyring.XXXXXX)
trap 'rm -rf "$keyring_home"' EXIT
export KEYHAVEN_KEYRING_HOME=$keyring_home
dbus-run-session -- bash -c '
  set -euo pipefail
  printf "%s" "test keyring password" |
    XDG_DATA_HOME="$KEYHAVEN_KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets >/dev/null
  export KEYHAVEN_TEST_KEYRING=1
  exec "$@"
' with-keyring "$@"
