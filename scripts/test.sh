#!/usr/bin/env bash
# README command 2 (and .ci/run): install what is missing, build with
# warnings as errors, run the whole test suite; then build with ASan+UBSan and
# run the unit and golden tests again under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh ci
ctest --preset ci -j "$jobs"

cmake --preset dev >/dev/null
cmake --build --preset dev
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset dev -j "$jobs" -L 'unit|golden'
