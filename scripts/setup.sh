#!/usr/bin/env bash
# Installs the pinned pnpm locally (only Node and npm are assumed), the workspace's dependencies
# from the frozen lockfile, and builds every package. Shared by `npm start`, `npm test`, .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=12.4.2
TOOLS="$PWD/.tools"
if [ "$("$TOOLS/bin/pnpm" --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g --prefix "$TOOLS" "pnpm@$PNPM_VERSION" --no-audit --no-fund --loglevel=error
fi
export PATH="$TOOLS/bin:$PATH"
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
pnpm install --frozen-lockfile --reporter=silent
pnpm exec tsc -b
pnpm --filter @dlrt/backend-wasm run --silent build:wasm   # AssemblyScript kernels → build/*.wasm
