#!/usr/bin/env bash
# Runs every test with tap and ends with the line `N passed, N failed, N skipped`
# (counted in test files' assertions). Exits non-zero on any failure or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
pnpm exec tap build >/dev/null           # apply .taprc's plugin set before the first run
pnpm exec tsc -p tsconfig.test.json      # type-check the tests
pnpm exec tsc -p demo/tsconfig.json      # type-check the browser demo and its test
bash scripts/install-chromium.sh         # the demo's test drives Debian's chromium
if [ $# -eq 0 ]; then
  # Every test file, the longest first (times from a full run on the 2-core VM): tap starts
  # files in order, three at a time, and a long file started last would run on alone.
  SLOW=(demo/test/demo.test.ts packages/cli/test/cli.test.ts
    packages/backend-gpu/test/integrator-suite.test.ts packages/layers/test/integrator-suite.test.ts
    packages/cli/test/snippets.test.ts packages/backend-wasm/test/integrator-suite.test.ts
    packages/backend-gpu/test/backend.test.ts packages/backend-wasm/test/conformance.test.ts
    bench/test/api-docs.test.ts)
  set -- "${SLOW[@]}"
  for f in $(pnpm exec tap list); do   # the files .taprc includes
    [[ " ${SLOW[*]} " == *" $f "* ]] || set -- "$@" "$f"
  done
fi
LOG="$(mktemp)"
set +e
pnpm exec tap --reporter=tap "$@" 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e
summary="$(grep -E '^# \{ total: [0-9]+' "$LOG" | tail -1 || true)"
rm -f "$LOG"
if [ -z "$summary" ]; then echo "tap printed no summary (exit $rc)"; exit $(( rc == 0 ? 1 : rc )); fi
num() { echo "$summary" | grep -oE "$1: [0-9]+" | grep -oE '[0-9]+' || echo 0; }
pass=$(num pass); fail=$(num fail); skip=$(( $(num skip) + $(num todo) ))
if [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi   # ran no test
if [ "$fail" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
echo "$pass passed, $fail failed, $skip skipped"
exit "$rc"
