#!/usr/bin/env bash
# README command 2 (and .ci/run): install what is missing, then
#   1. build with warnings as errors and run every test (unit, golden, slow);
#   2. build with ASan+UBSan and run every test again under the sanitizers
#      (the fuzz targets' seed corpora are replayed there too);
#   3. build with ThreadSanitizer and run the unit and golden tests, which
#      drive the thread pools (-j 1..3, two workers per corpus test);
#   4. build the libFuzzer targets with clang and fuzz each one briefly
#      (FUZZ_SECONDS, default 20); a crash fails the run and is kept under
#      build/fuzz/artifacts/ to be added to tests/fuzz/corpus/ as a seed.
# Under CI=true a test that needs ../shared/data fails when it is missing.
#
#   scripts/test.sh             # everything (about 20 minutes on 2 cores)
#   STAGES="ci dev" scripts/test.sh   # some stages only
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
stages=${STAGES:-ci dev tsan fuzz}
fuzz_seconds=${FUZZ_SECONDS:-20}
has() { [[ " $stages " == *" $1 "* ]]; }
if [[ ${CI:-} == true && ! -d ../shared/data ]]; then
  echo "test: ../shared/data is missing, and CI=true needs it" >&2
  exit 1
fi
stage() { echo "== test stage: $* ($(date -u +%H:%M:%S))"; }

scripts/setup.sh ci
if has ci; then
  stage "ci preset: every label"
  ctest --preset ci -j "$jobs"
fi

if has dev; then
  stage "dev preset (ASan+UBSan): every label"
  cmake --preset dev > /dev/null
  cmake --build --preset dev
  # The corpus differential test reads a third of its files here (the ci
  # stage reads them all): whole, it takes six minutes under ASan.
  ARIADNE_DIFF_SAMPLE=3 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset dev -j "$jobs"
fi

if has tsan; then
  stage "tsan preset: unit and golden"
  cmake --preset tsan > /dev/null
  cmake --build --preset tsan
  # setarch -R: ThreadSanitizer needs the address layout it was built for,
  # which the randomised layouts of newer kernels do not always leave.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    setarch "$(uname -m)" -R ctest --preset tsan -j "$jobs" -L 'unit|golden' -E 'casedb.kill9|hostile.cli'
fi

if has fuzz; then
  stage "fuzz preset (clang, libFuzzer): ${fuzz_seconds} s per target"
  cmake --preset fuzz > /dev/null
  cmake --build --preset fuzz --target json_reader_fuzz rules_fuzz evtx_fuzz snapshot_fuzz literal_index_fuzz text_fuzz
  for target in json_reader_fuzz rules_fuzz evtx_fuzz snapshot_fuzz literal_index_fuzz text_fuzz; do
    SKIP_BUILD=1 scripts/fuzz.sh "$target" "$fuzz_seconds" > "build/fuzz/$target.log" 2>&1 || {
      echo "test: $target found a crash (build/fuzz/$target.log, build/fuzz/artifacts/):" >&2
      tail -40 "build/fuzz/$target.log" >&2
      exit 1
    }
    grep -E '^(stat::number_of_executed_units|Done)' "build/fuzz/$target.log" | tr '\n' ' ' | sed "s/^/$target: /"
    echo
  done
fi
echo "test: all stages passed ($stages)"
