#!/usr/bin/env bash
# Packs every library package into packs/ as npm tarballs (pnpm turns the workspace:*
# dependencies into versions), for `npm install packs/*.tgz` in another project.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
rm -rf packs && mkdir packs
for p in core backend-cpu backend-wasm backend-gpu layers cli; do
  (cd "packages/$p" && pnpm pack --pack-destination ../../packs >/dev/null)
done
ls packs
