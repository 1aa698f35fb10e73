#!/usr/bin/env bash
# Hostile input and output: the red team's reproducers (issue "Hostile input
# and honest CI"), each run against the binary. Every check names the
# finding it covers and failed before its fix. The sample input is the
# bundled data/sample/sample.jsonl; everything is written to a scratch folder.
#
#   tests/hostile/run.sh BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ARIADNE_CACHE_DIR=$work/cache
sample=$src/data/sample/sample.jsonl
cp "$sample" "$work/s.jsonl"
cd "$work"
pass=0
fail=0
check() {  # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAILED: $name" >&2
  fi
}
# The alerts of a jsonl hunt, without the source name and line (they name
# how the input was given), sorted.
alerts() { grep '"rule"' | python3 -c '
import json, sys
for line in sys.stdin:
    a = json.loads(line)
    print(a["id"], a["rule"]["id"])
' | sort; }
"$bin" hunt -q -f jsonl --no-incidents s.jsonl > want.jsonl 2> /dev/null
alerts < want.jsonl > want.ids
n_want=$(wc -l < want.ids)
check "sample has alerts" test "$n_want" -gt 3

# 1: a bad first line does not decide the layout of the file.
for head in 'garbage' '[1,2' '"Channel": "Security", "EventID": 4624}'; do
  { echo "$head"; cat s.jsonl; } > bad_first.jsonl
  "$bin" hunt -q -f jsonl --no-incidents bad_first.jsonl > got.jsonl 2> err.txt
  check "1: bad first line '$head' keeps every alert" test "$(alerts < got.jsonl | wc -l)" -eq "$n_want"
  check "1: bad first line '$head' is one problem" grep -q 'bad_first.jsonl:1: ' err.txt
done

# 2: one 200 MB line under a 2.6 GB address-space limit: skipped with a
# problem, the lines around it read, no signal. (Not under ASan, whose
# shadow memory needs more address space than any such limit.)
libs=$(ldd "$bin" 2> /dev/null || true)  # whole, then matched: grep > /dev/null stops early (SIGPIPE, pipefail)
if [[ $libs != *libasan* ]]; then
  python3 - <<'PY'
import json
lines = open('s.jsonl').read().splitlines()
with open('huge.jsonl', 'w') as f:
    f.write(lines[0] + '\n')
    f.write('{"Channel": "Security", "EventID": 4688, "CommandLine": "' + 'x' * (200 << 20) + '"}\n')
    f.write('\n'.join(lines[1:]) + '\n')
PY
  (ulimit -v 2600000; "$bin" hunt -q -f jsonl --no-incidents huge.jsonl > got.jsonl 2> err.txt)
  rc=$?
  check "2: a 200 MB line under a memory limit ends normally" test "$rc" -eq 0
  check "2: ... reported as too large" grep -q 'huge.jsonl:2: record of 209715' err.txt
  check "2: ... and every other alert is found" cmp -s want.ids <(alerts < got.jsonl)
  rm -f huge.jsonl
fi

# 3: pipes, FIFOs, process substitution and standard input are streams.
"$bin" hunt -q -f jsonl --no-incidents - < <(cat s.jsonl) > got.jsonl 2> /dev/null
check "3: '-' on a pipe gives the file's alerts and ids" cmp -s want.ids <(alerts < got.jsonl)
cat s.jsonl | "$bin" hunt -q -f jsonl --no-incidents /dev/stdin > got.jsonl 2> /dev/null
check "3: /dev/stdin on a pipe gives the file's alerts and ids" cmp -s want.ids <(alerts < got.jsonl)
"$bin" hunt -q -f jsonl --no-incidents <(cat s.jsonl) > got.jsonl 2> /dev/null
check "3: process substitution gives the file's alerts" cmp -s want.ids <(alerts < got.jsonl)
gzip -c s.jsonl | "$bin" hunt -q -f jsonl --no-incidents - > got.jsonl 2> /dev/null
check "3: a gzip stream on '-' is decompressed" cmp -s want.ids <(alerts < got.jsonl)
mkfifo fifo
(sleep 1; timeout 30 bash -c 'cat s.jsonl > fifo') &
timeout 60 "$bin" hunt -q -f jsonl --no-incidents fifo > got.jsonl 2> /dev/null
wait
check "3: a FIFO with a writer is read" cmp -s want.ids <(alerts < got.jsonl)
mkdir -p withfifo && cp s.jsonl withfifo/ && mkfifo withfifo/zz.fifo
timeout 60 "$bin" hunt -q -f jsonl --no-incidents withfifo > got.jsonl 2> err.txt
rc=$?
check "3: a FIFO in a folder does not block its scan" test "$rc" -eq 0
check "3: ... and is reported" grep -q 'zz.fifo: not a regular file' err.txt
check "3: ... and the files beside it are read" cmp -s want.ids <(alerts < got.jsonl)

# 5: plain tar.
tar cf x.tar s.jsonl
"$bin" hunt -q -f jsonl --no-incidents x.tar > got.jsonl 2> /dev/null
check "5: plain tar is read" cmp -s want.ids <(alerts < got.jsonl)

# 8: a zip bomb beside a good member: the bomb is skipped early with a
# problem, the good member hunted.
python3 - <<'PY'
import zipfile
with zipfile.ZipFile('bomb.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.write('s.jsonl', 'good.jsonl')
    with z.open('bomb.jsonl', 'w', force_zip64=True) as f:
        block = b'\0' * (1 << 20)
        for _ in range(512):
            f.write(block)
PY
"$bin" hunt -q -f jsonl --no-incidents bomb.zip > got.jsonl 2> err.txt
check "8: a zip bomb is reported" grep -q 'bomb.zip!bomb.jsonl: member expands more than' err.txt
check "8: ... and the member beside it is hunted" cmp -s want.ids <(alerts < got.jsonl)
rm -f bomb.zip

# 6: unreadable folders are reported (as a user the permission applies to).
mkdir -p tree/locked && cp s.jsonl tree/ && cp s.jsonl tree/locked/ && chmod 000 tree/locked
if [[ $(id -u) -ne 0 ]]; then
  "$bin" hunt -q -f jsonl --no-incidents tree > /dev/null 2> err.txt
  check "6: an unreadable folder is reported" grep -q 'locked: cannot list folder' err.txt
elif command -v setpriv > /dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin" 2> /dev/null; then
  chmod 755 "$work" && chmod -R a+rX tree 2> /dev/null; chmod 000 tree/locked
  setpriv --reuid=65534 --regid=65534 --clear-groups env ARIADNE_CACHE_DIR="$work/cache-nobody" \
    "$bin" hunt -q -f jsonl --no-incidents -r "$src/tests/golden/hunt_basic/rules.yml" tree > /dev/null 2> err.txt
  check "6: an unreadable folder is reported" grep -q 'locked: cannot list folder' err.txt
else
  echo "note: 6 not checked (root, and no way to drop privileges)" >&2
fi
chmod 755 tree/locked

# 7: an EVTX file cut at a chunk boundary is reported (--strict: exit 3).
evtx=$src/../shared/data/attacks/deepbluecli/smb-password-guessing-security.evtx
if [[ -f $evtx ]]; then
  head -c 69632 "$evtx" > cut.evtx
  "$bin" dump --strict -q cut.evtx > /dev/null 2> err.txt
  check "7: dump --strict on an EVTX cut at a chunk boundary exits 3" test $? -eq 3
  check "7: ... naming the missing chunks" grep -q 'header counts 34 chunks but the file holds 1' err.txt
  "$bin" hunt --strict -q cut.evtx > /dev/null 2> err.txt
  check "7: hunt --strict exits 3 too" test $? -eq 3
elif [[ ${CI:-} == true ]]; then
  check "7: needs ../shared/data (CI=true)" false
fi

# 13: control characters from the logs never reach the terminal raw.
python3 - <<'PY'
import json
ev = json.loads(open('s.jsonl').readline())
evil = {"Channel": "Security", "EventID": 1102, "Computer": "WS\u001b[2J\u001b]0;owned\u0007\rX", "SubjectUserName": "a",
        "SystemTime": "2026-11-02T09:22:44Z"}
with open('evil.jsonl', 'w') as f:
    f.write(json.dumps(evil) + '\n')
PY
"$bin" hunt --no-color evil.jsonl > out.txt 2>&1
check "13: the table holds no escape or carriage return" bash -c "! grep -q \$'[\\x1b\\r\\x07]' out.txt"
check "13: ... and shows them escaped" grep -qF 'WS\x1b[2J' out.txt

# 14: option values are checked.
"$bin" hunt -q --incident-gap nan s.jsonl > /dev/null 2>&1
check "14: --incident-gap nan is refused" test $? -eq 2
"$bin" hunt -q --incident-gap 1e9 s.jsonl > /dev/null 2>&1
check "14: --incident-gap 1e9 is refused" test $? -eq 2

# 15: -o never destroys an input, and is not read back.
cp s.jsonl keep.jsonl
"$bin" hunt -f jsonl -o ./keep.jsonl keep.jsonl > /dev/null 2> err.txt
check "15: -o naming an input is refused" test $? -eq 2
check "15: ... and the input is intact" cmp -s s.jsonl keep.jsonl
mkdir -p in && cp s.jsonl in/
"$bin" hunt -q -f jsonl -o in/out.jsonl in > /dev/null 2>&1
check "15: -o inside an input folder is refused" test $? -eq 2
"$bin" hunt -q -f jsonl --no-incidents --output-in-input -o in/out.jsonl in > /dev/null 2>&1
"$bin" hunt -q -f jsonl --no-incidents --output-in-input -o in/out.jsonl in > /dev/null 2>&1
check "15: --output-in-input leaves the output out of the inputs" cmp -s want.ids <(alerts < in/out.jsonl)
echo "old" > kept.txt
"$bin" hunt -q -f jsonl -o kept.txt missing.jsonl > /dev/null 2>&1
check "15: a failed run leaves the old output as it was" grep -qx old kept.txt
check "15: ... and no temporary file behind" test -z "$(ls -A . | grep ariadne-)"

"$bin" hunt -q -f jsonl -o /dev/null s.jsonl 2> /dev/null
check "15: -o /dev/null writes to the device, never replaces it" test -c /dev/null
ln -s kept.txt link.txt
"$bin" hunt -q -f jsonl --no-incidents -o link.txt s.jsonl 2> /dev/null
check "15: -o through a link replaces the file it names" test -L link.txt
check "15: ... with the alerts" cmp -s want.ids <(alerts < kept.txt)

# 16: thread counts are clamped, with a note.
"$bin" hunt -q -j 3000 -f jsonl --no-incidents s.jsonl > got.jsonl 2> err.txt
check "16: -j 3000 runs" cmp -s want.ids <(alerts < got.jsonl)
check "16: ... with a note" grep -q 'lowered to' err.txt

# 10: write errors are errors.
if [[ -w /dev/full ]]; then
  "$bin" rules check "$src/tests/golden/hunt_basic/rules.yml" > /dev/full 2> /dev/null
  check "10: rules check > /dev/full fails" test $? -eq 1
  "$bin" rules list "$src/tests/golden/hunt_basic/rules.yml" > /dev/full 2> /dev/null
  check "10: rules list > /dev/full fails" test $? -eq 1
  "$bin" rules stats "$src/tests/golden/hunt_basic/rules.yml" > /dev/full 2> /dev/null
  check "10: rules stats > /dev/full fails" test $? -eq 1
  "$bin" hunt -f jsonl s.jsonl > /dev/full 2> /dev/null
  check "10: hunt > /dev/full fails" test $? -eq 1
fi

# 4: an alias bomb among good rules: rejected with its position, the rest load.
mkdir -p rules
cp "$src/tests/golden/hunt_basic/rules.yml" rules/good.yml
python3 - <<'PY'
lines = ['title: bomb', 'id: 00000000-0000-0000-0000-0000000000bb', 'logsource:', '  product: windows', 'detection:',
         '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for k in range(1, 10):
    lines.append('  a%d: &a%d [%s]' % (k, k, ','.join(['*a%d' % (k - 1)] * 10)))
lines += ['  selection:', '    CommandLine: *a9', '  condition: selection']
open('rules/bomb.yml', 'w').write('\n'.join(lines) + '\n')
PY
timeout 20 "$bin" rules check rules > out.txt 2>&1
check "4: the alias bomb is reported with its position" grep -q 'bomb.yml:[0-9]*:[0-9]*: error\[yaml-limit\]' out.txt
check "4: ... and the good rules load" grep -q ' 0 correlation rules loaded, 1 skipped' out.txt
timeout 20 "$bin" hunt -q -f jsonl --no-incidents -r rules s.jsonl > /dev/null 2> err.txt
check "4: hunt goes on with the good rules" test $? -eq 0

# 9: a damaged cache file is caught by its checksum and rebuilt, with a word.
tree=$src/../shared/data/sigma/rules-tree/rules/windows/process_creation
if [[ -d $tree ]]; then
  export ARIADNE_CACHE_DIR=$work/cache9
  "$bin" hunt -q -f jsonl --no-incidents -r "$tree" s.jsonl > want9.jsonl 2> /dev/null
  "$bin" hunt -q -f jsonl --no-incidents -r "$tree" s.jsonl > /dev/null 2> /dev/null  # stores the index
  for f in "$ARIADNE_CACHE_DIR"/v2/lix-*.bin "$ARIADNE_CACHE_DIR"/v2/hs-*.db "$ARIADNE_CACHE_DIR"/v2/rules-*.bin; do
    python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1; open(p, "wb").write(b)' "$f"
  done
  "$bin" hunt -q -f jsonl --no-incidents -r "$tree" s.jsonl > got9.jsonl 2> err.txt
  check "9: damaged cache files give the same alerts" cmp -s want9.jsonl got9.jsonl
  check "9: ... and are named as damaged" grep -q 'damaged cache file' err.txt
  check "9: the alerts are not none" grep -q '"rule"' got9.jsonl
  export ARIADNE_CACHE_DIR=$work/cache
elif [[ ${CI:-} == true ]]; then
  check "9: needs ../shared/data (CI=true)" false
fi

# 11: trace and attribute open the case database read-only and leave no
# file behind; another program's database is never changed.
mkdir -p casedir
"$bin" hunt -q -f jsonl --case casedir/case.db s.jsonl > case_out.jsonl 2> /dev/null
incident_id=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a["type"] == "incident" and a["root"]:
        print(a["id"]); break' case_out.jsonl)
before=$(ls casedir; sha256sum < casedir/case.db)
"$bin" trace casedir/case.db "$incident_id" --no-color > trace.txt 2> err.txt
check "11: trace reads the case database" grep -q "Trace of incident $incident_id" trace.txt
"$bin" attribute casedir/case.db "$incident_id" > /dev/null 2>&1
check "11: trace and attribute create and change nothing" test "$before" == "$(ls casedir; sha256sum < casedir/case.db)"
if [[ $(id -u) -eq 0 ]] && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin" 2> /dev/null; then
  chmod 755 "$work"; chmod 555 casedir; chmod 444 casedir/case.db
  setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" trace casedir/case.db "$incident_id" --no-color > trace2.txt 2> err.txt
  check "11: trace works on a read-only folder as another user" cmp -s trace.txt trace2.txt
  chmod 755 casedir; chmod 644 casedir/case.db
fi
python3 -c 'import sqlite3; c = sqlite3.connect("foreign.db"); c.execute("create table notes(x)"); c.commit()'
sum_before=$(sha256sum < foreign.db)
"$bin" hunt -q --case foreign.db s.jsonl > /dev/null 2> err.txt
check "another program's database is refused" grep -q 'not an ariadne case database' err.txt
check "... and left unchanged" test "$sum_before" == "$(sha256sum < foreign.db)"

# 12: a full disk under the case database is named as such.
mkdir -p small
if [[ $(id -u) -eq 0 ]] && mount -t tmpfs -o size=200k tmpfs small 2> /dev/null; then
  big=$src/../shared/data/attacks/deepbluecli
  if [[ -d $big ]]; then
    "$bin" hunt -q --case small/case.db -r "$src/../shared/data/sigma/rules-tree/rules/windows" "$big" > /dev/null 2> err.txt
    rc=$?
    check "12: a full disk fails the run" test "$rc" -eq 1
    check "12: ... and says the disk is full (not a foreign-key error)" grep -q 'disk is full' err.txt
    check "12: ... first" bash -c "! grep -q 'FOREIGN KEY' err.txt"
  fi
  umount small
fi

# Unknown subcommands are named.
"$bin" hnut > /dev/null 2> err.txt
check "an unknown command is named" grep -q "unknown command 'hnut' (did you mean 'hunt'?)" err.txt

echo "hostile: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
