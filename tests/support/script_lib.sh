# Sourced by the script tests (tests/golden/*/test.sh) after `bin=$1`:
# a cache and a work folder of the test's own, removed on exit; `root` (the
# project) and `shared` (../shared/data, or $ARIADNE_SHARED_DATA); fail();
# and need_shared PATH, which skips the test when PATH is missing, except
# under CI=true, where that is a failure.
cache_dir=$(mktemp -d)
export ARIADNE_CACHE_DIR=$cache_dir
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${ARIADNE_SHARED_DATA:-$root/../shared/data}
work=$(mktemp -d)
trap 'rm -rf "$work" "$cache_dir"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
need_shared() {
  [[ -e $1 ]] && return 0
  if [[ ${CI:-} == true ]]; then
    echo "$1 is missing, and CI=true needs it" >&2
    exit 1
  fi
  echo "skipped: $1 is missing" >&2
  exit 0
}
