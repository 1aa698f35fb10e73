#!/usr/bin/env bash
# Triage benchmark (issue 22): the rank of each true incident among its
# host's incidents, precision at k and the share of alerts in routine rules,
# for two builds side by side on the labelled scenarios of ../shared/data
# (bench/triage/measure.py says what is true in each).
#
#   bench/triage/run.sh OLD_ARIADNE NEW_ARIADNE
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1
new=$2
S=../shared/data
T=$S/sigma/rules-tree
RULES=(-r $T/rules -r $T/rules-emerging-threats -r $T/rules-threat-hunting -r $T/rules-placeholder)
WORK=${WORK:-$(mktemp -d)}
trap '[ -z "${KEEP:-}" ] && rm -rf "$WORK"' EXIT
export ARIADNE_CACHE_DIR=$WORK/cache
C=$S/attacks/otrf-security-datasets/compound
declare -A INPUTS=(
  [lsass01]="lsass $C/LSASS_campaign_01/metasploit_logonpasswords_lsass_memory_dump.zip"
  [lsass02]="lsass $C/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump.zip"
  [lsass03]="lsass $C/LSASS_campaign_03/metasploit_comsvcs_lsass_memory_dump.zip"
  [apt]="apt $S/attacks/evtx-to-mitre-attack/EVTX_full_APT_attack_steps"
  [deepblue]="deepblue $S/attacks/deepbluecli"
)
for name in lsass01 lsass02 lsass03 apt deepblue; do
  read -r scenario input <<< "${INPUTS[$name]}"
  for which in old new; do
    bin=$old
    [[ $which == new ]] && bin=$new
    args=()
    # The new build leaves rules with unresolved placeholders out; run them
    # as the old build did, so both see the same alerts.
    help=$("$bin" hunt --help 2>/dev/null || true)
    if [[ $help == *--wildcard-placeholders* ]]; then args=(--no-config --wildcard-placeholders --status all); fi
    "$bin" hunt -q "${args[@]}" -f jsonl -o "$WORK/$name.$which.jsonl" "${RULES[@]}" "$input"
    printf '%-9s %-4s ' "$name" "$which"
    python3 bench/triage/measure.py "$scenario" "$WORK/$name.$which.jsonl"
  done
done
