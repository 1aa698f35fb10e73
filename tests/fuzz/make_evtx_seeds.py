#!/usr/bin/env python3
"""Cuts EVTX fuzz seeds from real files: each seed is one chunk, cut after
its last whole record below a size limit, so libFuzzer starts from valid
binary XML (templates, substitutions, UserData, no-template records).

    tests/fuzz/make_evtx_seeds.py OUT_DIR [--limit BYTES] FILE.evtx...

The few seeds kept in tests/fuzz/corpus/evtx were made with --limit 4000 from
the files named in tests/fuzz/corpus/README.md; scripts/fuzz.sh makes a
larger set from ../shared/data at run time (nothing is copied into the repo).
"""
import os
import struct
import sys


def seed(path, limit):
    data = open(path, 'rb').read()
    chunk = data[4096:4096 + 65536]
    off = end = 512
    while off + 28 <= len(chunk) and chunk[off:off + 4] == b'**\x00\x00':
        size = struct.unpack_from('<I', chunk, off + 4)[0]
        if size < 28 or off + size > len(chunk) or (off + size > limit and end > 512):
            break
        off += size
        end = off
    return chunk[:end] if end > 512 else None


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    out = args.pop(0)
    limit = 12000
    if args and args[0] == '--limit':
        limit = int(args[1])
        args = args[2:]
    os.makedirs(out, exist_ok=True)
    n = 0
    for path in args:
        try:
            s = seed(path, limit)
        except OSError:
            continue
        if s:
            name = os.path.basename(path).replace(' ', '_').replace('%', '_') + '.chunk'
            open(os.path.join(out, name), 'wb').write(s)
            n += 1
    print(f'{n} seeds in {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
