#!/usr/bin/env bash
# Runs end-to-end suites N times while every core is kept busy, so that a race that shows only on
# a busy machine shows here. Prints pass or fail per round (each round's output is kept under
# artifacts/stress/) and exits non-zero unless every round passed.
#   scripts/e2e-stress.sh 10 account-sync local-then-account kill-mid-upload social-sign-in
# A suite is named as its file in tests/e2e without `.test.mjs`; no suite means all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:?usage: scripts/e2e-stress.sh N [suite…]}
shift
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "e2e-stress: N must be a positive number, not '$rounds'" >&2; exit 2; }
suites=()
for name in "$@"; do
  file=tests/e2e/$name.test.mjs
  [ -f "$file" ] || { echo "e2e-stress: no suite '$name' ($file)" >&2; exit 2; }
  suites+=("$file")
done
[ ${#suites[@]} -gt 0 ] || suites=(tests/e2e/)

# The load: one busy process per core, started here and stopped by their PIDs whatever happens.
hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT
for _ in $(seq "$(nproc)"); do
  sha256sum /dev/zero >/dev/null &
  hogs+=($!)
done
echo "e2e-stress: $rounds rounds of ${suites[*]} with ${#hogs[@]} busy processes (PIDs ${hogs[*]})"

logs=artifacts/stress
mkdir -p "$logs"
passed=0
for round in $(seq "$rounds"); do
  log=$logs/round-$round.log
  started=$SECONDS
  if scripts/e2e.sh "${suites[@]}" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "round $round/$rounds: pass ($((SECONDS - started)) s)"
  else
    echo "round $round/$rounds: FAIL ($((SECONDS - started)) s, $log)"
    grep -E '^not ok|^\s+error:' "$log" | sed 's/^/    /' || true
  fi
done
echo "e2e-stress: $passed of $rounds rounds passed under load"
[ "$passed" -eq "$rounds" ]
