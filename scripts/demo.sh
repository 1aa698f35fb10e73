#!/usr/bin/env bash
# README command 1: install what is missing, build, and hunt sample data.
# With ../shared/data present: the SigmaHQ rule tree over the OTRF LSASS
# campaigns (zipped JSON lines) and the DeepBlueCLI attack EVTX files (read
# natively). Otherwise: the built-in rule pack over the
# bundled sample (data/sample/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
bin=build/release/src/ariadne
shared=../shared/data
if [[ -d $shared/sigma/rules-tree && -d $shared/attacks ]]; then
  tree=$shared/sigma/rules-tree
  exec "$bin" hunt --min-level medium \
    -r "$tree/rules" -r "$tree/rules-emerging-threats" -r "$tree/rules-threat-hunting" -r "$tree/rules-placeholder" \
    "$shared/attacks/otrf-security-datasets/compound" "$shared/attacks/deepbluecli" "$@"
else
  exec "$bin" hunt data/sample "$@"
fi
