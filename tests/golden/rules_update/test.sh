#!/usr/bin/env bash
# Rule sets without ceremony (issue 21, point 10):
#   - `-r` given a SigmaHQ tree's root takes its standard folders (and never
#     deprecated/ or unsupported/), and the summary says so;
#   - `hunt` without `-r` uses the built-in pack and says so when nothing is
#     installed;
#   - `rules update URL` clones a rule repository with git into the data
#     directory ($XDG_DATA_HOME/ariadne/rules); hunt then uses it; a second
#     update pulls what changed. The repository is a local one made from
#     ../shared/data (no network).
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../support/script_lib.sh"
export XDG_DATA_HOME=$work/data HOME=$work/home
mkdir -p "$HOME"
need_shared "$shared/sigma/rules-tree"
tree=$shared/sigma/rules-tree
dbc=$shared/attacks/deepbluecli

# A tree's root.
"$bin" hunt --no-config -r "$tree" -f jsonl -o "$work/root.jsonl" "$dbc" > "$work/root.sum"
grep -q "from      the SigmaHQ tree .* (rules, rules-emerging-threats, rules-threat-hunting, rules-placeholder)" \
  "$work/root.sum" || fail "the tree's folders are not named"
"$bin" hunt --no-config -r "$tree/rules" -r "$tree/rules-emerging-threats" -r "$tree/rules-threat-hunting" \
  -r "$tree/rules-placeholder" -f jsonl -o "$work/four.jsonl" "$dbc" > /dev/null
cmp -s "$work/root.jsonl" "$work/four.jsonl" || fail "the tree's root differs from its four folders"
if grep -q '"path":"[^"]*/\(deprecated\|unsupported\)/' "$work/root.jsonl"; then fail "deprecated/ or unsupported/ taken"; fi

# Nothing installed: the built-in pack, said.
"$bin" hunt --no-config "$dbc" > "$work/builtin.txt"
grep -q "from      the built-in pack" "$work/builtin.txt" || fail "the built-in pack is not named"

# A local repository made from the shared rules: one folder of each kind.
repo=$work/repo
mkdir -p "$repo/rules/windows" "$repo/deprecated"
cp -r "$tree/rules/windows/builtin" "$repo/rules/windows/"
cp -r "$tree/rules-emerging-threats" "$repo/"
git -C "$repo" init -q
git -C "$repo" add -A
git -C "$repo" -c user.email=test@example.org -c user.name=test commit -qm "rules"
"$bin" rules update "file://$repo" > "$work/update.out" 2> "$work/update.err"
installed=$XDG_DATA_HOME/ariadne/rules/repo
[[ $(cat "$work/update.out") == "$installed" ]] || fail "update printed $(cat "$work/update.out")"
[[ -d $installed/rules/windows/builtin ]] || fail "not cloned"
"$bin" hunt --no-config -f jsonl -o "$work/inst.jsonl" "$dbc" > "$work/inst.sum"
grep -q "from      the installed set $installed (rules, rules-emerging-threats)" "$work/inst.sum" ||
  { cat "$work/inst.sum" >&2; fail "the installed set is not used"; }
msf=72124974-a68b-4366-b990-d30e0b2a190d  # Metasploit SMB Authentication, in rules/windows/builtin
grep -q "$msf" "$work/inst.jsonl" || fail "the installed rules did not run"
# An update pulls what changed upstream.
git -C "$repo" rm -q -r rules/windows/builtin/security/account_management
git -C "$repo" rm -q "$(cd "$repo" && grep -rl "$msf" rules)"
git -C "$repo" -c user.email=test@example.org -c user.name=test commit -qm "drop a rule"
"$bin" rules update "file://$repo" > /dev/null 2>&1
"$bin" hunt --no-config -f jsonl -o "$work/inst2.jsonl" "$dbc" > /dev/null
if grep -q "$msf" "$work/inst2.jsonl"; then fail "the update did not pull the change"; fi
# Explicit rules still win over the installed set.
"$bin" hunt --no-config -r "$root/data/rules" "$dbc" > "$work/explicit.txt"
grep -q "from" "$work/explicit.txt" && grep -q "installed set" "$work/explicit.txt" && fail "-r did not win"
# A URL git cannot read is an error, not a crash.
if "$bin" rules update "file://$work/nothere" --name bad > /dev/null 2>&1; then fail "a bad URL was accepted"; fi
echo "rules update: all checks passed"
