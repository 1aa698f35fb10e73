#!/usr/bin/env bash
# Golden test runner: runs `ariadne` with the arguments in CASE/cmd (one line,
# paths relative to CASE) and compares stdout with CASE/expected.
# Set ARIADNE_UPDATE_GOLDEN=1 to rewrite the expected output (review the diff).
set -euo pipefail
# A cache of this test's own, never the user's.
cache_dir=$(mktemp -d)
export ARIADNE_CACHE_DIR=$cache_dir
bin=$1
case_dir=$2
cd "$case_dir"
read -r -a args < cmd
actual=$(mktemp)
trap 'rm -rf "$actual" "$cache_dir"' EXIT
set +e
"$bin" "${args[@]}" > "$actual" 2>/dev/null
rc=$?
set -e
expected_rc=$(cat rc 2>/dev/null || echo 0)
if [[ "$rc" != "$expected_rc" ]]; then
  echo "exit code $rc, expected $expected_rc" >&2
  exit 1
fi
if [[ "${ARIADNE_UPDATE_GOLDEN:-}" == 1 ]]; then
  cp "$actual" expected
  exit 0
fi
diff -u expected "$actual"
