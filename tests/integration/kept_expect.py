#!/usr/bin/env python3
"""kept_expect.py - the kept counts a loadgen --dump must end with.

    kept_expect.py DUMP [TREATMENTS_TOPIC COMPLICATIONS_TOPIC]

Computed here, from what was produced and independently of PostgreSQL, with
the definitions of sql/repeatable/30_kept.sql: the current version of a report
is its highest; a nullified current version withdraws it. Prints one line
per cell of needlewatch.kept_cells,

    treated_on|device_type|setting|fitzpatrick|treatments|cases_any|reports|
        infection|scarring|...|other|unknown_type

(fitzpatrick empty when unknown; one column per type below: the treatments
with a current report of that type), sorted as text, then one line per key
of needlewatch.kept_models (one line per type with reports), sorted as text,

    model|treated_on|device_type|manufacturer|model|type|reports

(manufacturer and model empty when the treatment names none; the current
complication reports of that type whose treatment is current), then
"total|complication_reports|N" (every current complication report, orphans
included). The test prints the database's side the same way and compares
the two texts.
"""
import json
import sys

TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage", "fat_loss",
         "granuloma", "dryness_peeling", "acne_flare", "other"]


def current(reports):
    """report_id -> highest version's message, for the reports not withdrawn."""
    top = {}
    for (rid, ver), v in reports.items():
        if rid not in top or ver > top[rid][0]:
            top[rid] = (ver, v)
    return {rid: v for rid, (ver, v) in top.items() if not v.get("nullified", False)}


def main(path, t_topic="treatments", c_topic="complications"):
    versions = {t_topic: {}, c_topic: {}}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            v = rec["value"]
            if not isinstance(v, dict) or rec["topic"] not in versions:
                continue
            # The first stored of a (report_id, version) wins, as in the tables.
            versions[rec["topic"]].setdefault((v["report_id"], v.get("version", 1)), v)

    treatments = current(versions[t_topic])
    complications = current(versions[c_topic])
    types_of = {}  # treatment_id -> (set of types, reports)
    for c in complications.values():
        types, reports = types_of.get(c["treatment_id"], (frozenset(), 0))
        kind = c["type"] if c["type"] in TYPES else "unknown"
        types_of[c["treatment_id"]] = (types | {kind}, reports + 1)

    cells = {}  # key -> [treatments, cases_any, reports, one per type..., unknown]
    for rid, t in treatments.items():
        types, reports = types_of.get(rid, (frozenset(), 0))
        fitz = t.get("skin", {}).get("fitzpatrick")
        key = (t["treated_on"], t["device"]["type"], t["setting"],
               "" if fitz is None else str(int(fitz)))
        counts = cells.setdefault(key, [0] * (3 + len(TYPES) + 1))
        counts[0] += 1
        counts[1] += 1 if types else 0
        counts[2] += reports
        for i, name in enumerate(TYPES + ["unknown"]):
            counts[3 + i] += 1 if name in types else 0

    models = {}  # (treated_on, device_type, manufacturer, model, type) -> reports
    for c in complications.values():
        t = treatments.get(c["treatment_id"])
        if t is None:
            continue
        device = t["device"]
        key = (t["treated_on"], device["type"], device.get("manufacturer") or "",
               device.get("model") or "", c["type"])
        models[key] = models.get(key, 0) + 1

    # Sorted as text, like LC_ALL=C sort sorts the database's lines.
    for line in sorted("|".join(key + tuple(str(x) for x in cells[key])) for key in cells):
        print(line)
    for line in sorted("|".join(("model",) + key + (str(n),)) for key, n in models.items()):
        print(line)
    print(f"total|complication_reports|{len(complications)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
