#!/usr/bin/env bash
# Attribution benchmark: ariadne's group ranking beside a plain TF-IDF cosine
# baseline on simulated observations (docs/decisions/0003-attribution-ranking.md).
#
#   bench/attribution/run.sh          # the report
#   bench/attribution/run.sh --fit    # refit the score temperature, noise percentile
#   bench/attribution/run.sh --campaigns  # leave-one-campaign-out (docs/decisions/0007)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/release}
[ -x "$BUILD/bench/attribution_eval" ] || { echo "build first: cmake --preset release && cmake --build build/release" >&2; exit 1; }
exec "$BUILD/bench/attribution_eval" "$@"
