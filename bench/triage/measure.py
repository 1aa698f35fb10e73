#!/usr/bin/env python3
"""Triage measurement (issue 22): how high do the true incidents rank?

Reads the JSON lines of `ariadne hunt -f jsonl` on one labelled scenario and
prints one JSON object of figures. Scenarios and their truth:

  lsass   OTRF LSASS campaigns: the true incident holds the credential dump
          (an alert whose rule names T1003.001 on the campaign host).
  apt     EVTX-to-MITRE APT chains: per chain file, the incident holding the
          file's lateral-movement alerts (credential-access where the chain
          has none), counting only rules that name at most four tactics.
  deepblue DeepBlueCLI: per file, the incident holding most of the file's
          alerts above low level (one attack per file).

Figures: for each true incident its rank among its hosts' incidents, other
true incidents left out (1 = no false incident on its hosts outranks it),
precision at k over all incidents (k = number of true ones), the share
of alerts in rules an incident calls routine, and the anomaly alerts: how
many, and how many landed in a true incident.

    measure.py SCENARIO ALERTS.jsonl
"""
import collections
import json
import sys

TACTICS = {"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
           "privilege-escalation", "defense-evasion", "stealth", "defense-impairment", "credential-access",
           "discovery", "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"}


def tactics(rule):
    return {t[len("attack."):] for t in rule.get("tags", []) if t.startswith("attack.") and t[len("attack."):] in TACTICS}


def main():
    scenario, path = sys.argv[1], sys.argv[2]
    alerts, incidents, anomalies = {}, [], {}
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        if d["type"] == "alert":
            alerts[d["id"]] = d
        elif d["type"] == "anomaly":
            anomalies[d["id"]] = d
        elif d["type"] == "incident":
            incidents.append(d)
    by_alert = {a: i["id"] for i in incidents for a in i["alerts"]}
    truth = set()
    if scenario == "lsass":
        for a in alerts.values():
            if any(t.lower().startswith("attack.t1003.001") for t in a["rule"].get("tags", [])) and a["id"] in by_alert:
                truth.add(by_alert[a["id"]])
    elif scenario == "apt":
        by_file = collections.defaultdict(list)
        for a in alerts.values():
            by_file[a["source"]["file"]].append(a)
        for f, items in by_file.items():
            specific = [a for a in items if len(tactics(a["rule"])) <= 4]
            lm = [a for a in specific if "lateral-movement" in tactics(a["rule"])]
            core = lm or [a for a in specific if "credential-access" in tactics(a["rule"])]
            holding = collections.Counter(by_alert[a["id"]] for a in core if a["id"] in by_alert)
            if holding:
                truth.add(holding.most_common(1)[0][0])
    elif scenario == "deepblue":
        by_file = collections.defaultdict(list)
        for a in alerts.values():
            if a["rule"]["level"] in ("medium", "high", "critical"):
                by_file[a["source"]["file"]].append(a)
        for f, items in by_file.items():
            holding = collections.Counter(by_alert[a["id"]] for a in items if a["id"] in by_alert)
            if holding:
                truth.add(holding.most_common(1)[0][0])
    else:
        sys.exit("unknown scenario " + scenario)
    ranked = sorted(incidents, key=lambda i: (-i["score"], i["first"] or "", i["id"]))
    ranks = []
    for inc in ranked:
        if inc["id"] not in truth:
            continue
        hosts = {h.lower() for h in inc["hosts"]}
        above = 0
        for i in ranked:
            if i["id"] == inc["id"]:
                break
            if i["id"] not in truth and {h.lower() for h in i["hosts"]} & hosts:
                above += 1
        ranks.append(1 + above)
    k = len(truth)
    top = {i["id"] for i in ranked[:k]}
    routine_alerts = 0
    for inc in incidents:
        routine = set(inc.get("routine_rules", []))
        routine_alerts += sum(1 for a in inc["alerts"] if a in alerts and alerts[a]["rule"]["title"] in routine)
    print(json.dumps({
        "scenario": scenario,
        "incidents": len(incidents),
        "true_incidents": k,
        "ranks_on_their_hosts": sorted(ranks),
        "first_on_their_hosts": sum(1 for r in ranks if r == 1),
        "precision_at_k": round(len(top & truth) / k, 3) if k else None,
        "alerts": len(alerts),
        "routine_alert_share": round(routine_alerts / len(alerts), 3) if alerts else 0,
        "anomalies": len(anomalies),
        "anomalies_in_true_incidents": sum(1 for a in anomalies if by_alert.get(a) in truth),
    }))


if __name__ == "__main__":
    main()
