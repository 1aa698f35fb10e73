#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, `fuzz` preset) and runs one of them.
#
#   scripts/fuzz.sh TARGET [SECONDS]     # TARGET: evtx_fuzz | json_reader_fuzz | rules_fuzz | snapshot_fuzz | literal_index_fuzz | text_fuzz
#
# The run starts from tests/fuzz/corpus/<name> plus, for evtx_fuzz, seeds cut
# from the EVTX files under ../shared/data/attacks (written to a scratch
# directory, never into the repo). Crashes land in build/fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
seconds=${2:-60}
name=${target%_fuzz}
[ "$name" = json_reader ] && name=json
if [[ -z ${SKIP_BUILD:-} ]]; then
  cmake --preset fuzz >/dev/null
  cmake --build build/fuzz --target "$target"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" build/fuzz/artifacts
cp tests/fuzz/corpus/"$name"/* "$work/corpus/"
if [ "$target" = evtx_fuzz ] && [ -d ../shared/data/attacks ]; then
  find ../shared/data/attacks -name '*.evtx' -print0 | xargs -0 python3 tests/fuzz/make_evtx_seeds.py "$work/corpus" >/dev/null
fi
dict=tests/fuzz/${name}.dict
[ -f "$dict" ] || dict=tests/fuzz/evtx.dict
# Full stacks for leaks (libfyaml has no frame pointers), so the suppression
# of its known leak can see its frames.
ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
./build/fuzz/tests/fuzz/"$target" "$work/corpus" -dict="$dict" -max_total_time="$seconds" \
  -max_len=70000 -timeout=10 -rss_limit_mb=2048 -artifact_prefix=build/fuzz/artifacts/ -print_final_stats=1
