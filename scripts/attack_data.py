#!/usr/bin/env python3
"""Regenerates data/attack/ (the compact ATT&CK tables ariadne embeds) from
the shared extract in ../shared/data/attack/ (see its README for the source:
mitre/cti, ATT&CK v18.1, and the SigmaHQ v19 crosswalk).

    scripts/attack_data.py [SHARED_ATTACK_DIR] [OUT_DIR]

Output, per domain (enterprise at the top, ICS in ics/), tab-separated with
a header row:
  tactics.tsv           shortname, tactic_id, name, order
  techniques.tsv        technique_id, name, tactics (shortnames, comma-separated)
  retired.tsv           technique_id, replaced_by (empty: deprecated, no successor)
  groups.tsv            group_id, name, aliases (';'-separated)
  group_techniques.tsv  group_id, technique_id, via (comma-separated: d = direct,
                        C#### = through that campaign, S#### = through that software)
  software.tsv          software_id, name
  crosswalk.tsv         v19_technique_id, v18_technique_id, n_rules (enterprise only)
"""
import csv
import os
import sys
from collections import OrderedDict

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "attack")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "data", "attack")


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


def domain(s, o, crosswalk):
    write(os.path.join(o, "tactics.tsv"), ["shortname", "tactic_id", "name", "order"],
          [[r["shortname"], r["tactic_id"], r["name"], r["order"]] for r in read(os.path.join(s, "tactics.tsv"))])
    write(os.path.join(o, "techniques.tsv"), ["technique_id", "name", "tactics"],
          [[r["technique_id"], r["name"], r["tactics"]] for r in read(os.path.join(s, "techniques.tsv"))])
    write(os.path.join(o, "retired.tsv"), ["technique_id", "replaced_by"],
          [[r["technique_id"], r["replaced_by"]] for r in read(os.path.join(s, "techniques_retired.tsv"))])
    write(os.path.join(o, "groups.tsv"), ["group_id", "name", "aliases"],
          [[r["group_id"], r["name"], r["aliases"]] for r in read(os.path.join(s, "groups.tsv"))])
    links = OrderedDict()
    for r in read(os.path.join(s, "group_techniques.tsv")):
        via = r["via"]
        code = "d" if via == "direct" else via.split(":", 1)[1]
        links.setdefault((r["group_id"], r["technique_id"]), []).append(code)
    write(os.path.join(o, "group_techniques.tsv"), ["group_id", "technique_id", "via"],
          [[g, t, ",".join(v)] for (g, t), v in links.items()])
    write(os.path.join(o, "software.tsv"), ["software_id", "name"],
          [[r["software_id"], r["name"]] for r in read(os.path.join(s, "software.tsv"))])
    if crosswalk:
        write(os.path.join(o, "crosswalk.tsv"), ["v19_technique_id", "v18_technique_id", "n_rules"],
              [[r["v19_technique_id"], r["v18_technique_id"], r["n_rules_retagged"]]
               for r in read(os.path.join(s, "sigma_v19_crosswalk.tsv"))])


domain(src, out, True)
domain(os.path.join(src, "ics"), os.path.join(out, "ics"), False)
print("wrote", out)
