#!/usr/bin/env python3
"""expect.py - what the database must hold after ingesting a loadgen --dump.

Reads the JSONL dump (one line per produced message: {"topic", "key",
"value"}; value is the message object, or a string for a malformed one) and
prints, as key=value lines, the counts an exact ingest must end with. This is
computed here, independently of the worker, from what was produced:
  treatment_versions / complication_versions: distinct (report_id, version)
  treatments / complications: reports whose highest version is not nullified
  invalid: messages that are not objects (loadgen's malformed ones)
  messages: every message produced
"""
import json
import sys


def main(path, t_topic="treatments", c_topic="complications"):
    versions = {t_topic: {}, c_topic: {}}
    invalid = messages = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            messages += 1
            v = rec["value"]
            if not isinstance(v, dict):
                invalid += 1
                continue
            ver = v.get("version", 1)
            key = (v["report_id"], ver)
            # Same (report_id, version) twice: the first stored wins; the
            # nullified flag of a redelivery is the same message anyway.
            versions[rec["topic"]].setdefault(key, bool(v.get("nullified", False)))

    def current(vs):
        top = {}
        for (rid, ver), nullified in vs.items():
            if rid not in top or ver > top[rid][0]:
                top[rid] = (ver, nullified)
        return sum(1 for ver, nullified in top.values() if not nullified)

    print(f"messages={messages}")
    print(f"invalid={invalid}")
    print(f"treatment_versions={len(versions[t_topic])}")
    print(f"complication_versions={len(versions[c_topic])}")
    print(f"treatments={current(versions[t_topic])}")
    print(f"complications={current(versions[c_topic])}")


if __name__ == "__main__":
    main(*sys.argv[1:])
