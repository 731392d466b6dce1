#!/usr/bin/env python3
"""publish_oracle.py - the messages --publish-signals must send, from the
analyzer's JSON reports alone.

  publish_oracle.py PREVIOUS.json|- CURRENT.json

PREVIOUS is the report of the run that last published to the topic ("-":
none). A subject is a flagged signal that is not suppressed (signals and
signals_by_model), or an alert; its key is signal/DEVICE/COMPLICATION,
signal/model/MANUFACTURER/MODEL/COMPLICATION or
alert/DEVICE/SETTING/COMPLICATION/WEEK_START. Prints, sorted, "active KEY"
for each subject that is new or whose row differs from the previous one,
and "cleared KEY" for each previous subject that is gone (a suppressed
signal is neither: its state is not public).
"""
import json
import sys


def subjects(path):
    """key -> row of the published subjects, and the set of hidden keys."""
    if path == "-":
        return {}, set()
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    out, hidden = {}, set()
    for r in d.get("signals", []) + d.get("signals_by_model", []):
        if "manufacturer" in r:
            key = "signal/model/%s/%s/%s" % (r["manufacturer"], r["model"], r["complication"])
        else:
            key = "signal/%s/%s" % (r["device_type"], r["complication"])
        if r.get("suppressed"):
            hidden.add(key)
        elif r.get("signal"):
            out[key] = r
    for a in d.get("alerts", []):
        out["alert/%s/%s/%s/%s" % (a["device_type"], a["setting"], a["complication"],
                                   a["week_start"])] = a
    return out, hidden


def main(prev_path, cur_path):
    prev, _ = subjects(prev_path)
    cur, hidden = subjects(cur_path)
    lines = ["active " + k for k, row in cur.items() if prev.get(k) != row]
    lines += ["cleared " + k for k in prev if k not in cur and k not in hidden]
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
