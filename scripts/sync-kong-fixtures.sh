#!/bin/sh
# Refreshes test/fixtures/kong/ from the shared Kong corpus (../shared/compat/kong/) when it changed.
set -eu
cd "$(dirname "$0")/.."
src=../shared/compat/kong
[ -d "$src" ] || { echo "no $src here" >&2; exit 1; }
rm -rf test/fixtures/kong
mkdir -p test/fixtures/kong
cp -R "$src"/. test/fixtures/kong/
echo "test/fixtures/kong/ now matches $src"
