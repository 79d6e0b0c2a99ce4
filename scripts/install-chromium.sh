#!/usr/bin/env bash
# Installs Debian's chromium for the browser demo's test (demo/test/demo.test.ts) when it is
# missing. It needs root (or password-less sudo) and apt; otherwise it says so, and the test
# fails naming the missing binary. CHROMIUM may name another Chromium binary instead.
set -euo pipefail
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then exit 0; fi
if [ -n "${CHROMIUM:-}" ]; then echo "CHROMIUM=$CHROMIUM is not an executable" >&2; exit 0; fi
if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n);
else echo "chromium is missing; install it with: apt-get install chromium" >&2; exit 0; fi
if ! command -v apt-get >/dev/null; then echo "chromium is missing and apt-get is not here" >&2;
  exit 0; fi
echo "installing Debian's chromium for the demo's browser test"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get install -y -qq chromium >/dev/null ||
  { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq chromium >/dev/null; }
