#!/usr/bin/env python3
"""dump2csv.py - typed CSV rows for the bare-COPY baseline, from a loadgen --dump.

    dump2csv.py DUMP PARTITIONS OUTDIR [TREATMENTS_TOPIC COMPLICATIONS_TOPIC]

Writes OUTDIR/treatment_versions.csv and OUTDIR/complication_versions.csv:
exactly the rows needlewatch-ingest stores for the dump's valid messages,
already typed, in the column order of sql/001_schema.sql (ingested_at left
to its default), including the original message byte for byte. Run before
the timed COPY: the conversion is not part of what the benchmark measures.

source_partition / source_offset are recomputed the way the producer placed
the messages: loadgen keys every message and uses librdkafka's default
partitioner (consistent_random = CRC-32 of the key modulo the partition
count), and an idempotent producer keeps each partition in produce order, so
the n-th message of a partition in the dump has offset n-1. run.sh checks a
sample of these against what the worker stored.

Like the worker, a (report_id, version) seen twice is written once (the
first), so COPY needs no ON CONFLICT. Messages that are not JSON objects
(loadgen --invalid-rate) are skipped: the baseline measures storing reports.
"""
import json
import os
import sys
import zlib

T_COLS = ("report_id", "version", "nullified", "treated_on", "setting", "device_type",
          "manufacturer", "model", "needle_depth_mm", "operator", "fitzpatrick",
          "sterile_tip", "active_acne", "serum", "region", "reported_at",
          "source_topic", "source_partition", "source_offset", "message")
C_COLS = ("report_id", "version", "nullified", "treatment_id", "type", "severity",
          "onset_days", "outcome", "medical_attention", "reported_at",
          "source_topic", "source_partition", "source_offset", "message")


def field(v):
    """One CSV field: NULL is an unquoted empty field, anything else quoted
    when it needs to be (an empty string is always quoted)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, (int, float)):
        return repr(v)
    if v == "" or any(c in v for c in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


def treatment_row(v):
    d = v.get("device") or {}
    s = v.get("skin") or {}
    return (v["report_id"], v.get("version", 1), v.get("nullified", False), v["treated_on"],
            v["setting"], d["type"], d.get("manufacturer"), d.get("model"),
            d.get("needle_depth_mm"), v.get("operator"), s.get("fitzpatrick"),
            v.get("sterile_tip"), v.get("active_acne"), v.get("serum"), v.get("region"),
            v.get("reported_at"))


def complication_row(v):
    return (v["report_id"], v.get("version", 1), v.get("nullified", False), v["treatment_id"],
            v["type"], v.get("severity"), v.get("onset_days"), v.get("outcome"),
            v.get("medical_attention"), v.get("reported_at"))


def main(dump, partitions, outdir, t_topic="treatments", c_topic="complications"):
    partitions = int(partitions)
    next_offset = {}
    seen = {t_topic: set(), c_topic: set()}
    out = {t_topic: open(os.path.join(outdir, "treatment_versions.csv"), "w", encoding="utf-8"),
           c_topic: open(os.path.join(outdir, "complication_versions.csv"), "w", encoding="utf-8")}
    build = {t_topic: treatment_row, c_topic: complication_row}
    prefix_end = len('"value":')
    with open(dump, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            topic, key = rec["topic"], rec["key"]
            part = zlib.crc32(key.encode()) % partitions
            offset = next_offset.get((topic, part), 0)
            next_offset[(topic, part)] = offset + 1
            v = rec["value"]
            if not isinstance(v, dict):
                continue
            ident = (v["report_id"], v.get("version", 1))
            if ident in seen[topic]:
                continue
            seen[topic].add(ident)
            # The payload, verbatim: loadgen writes a valid message's bytes
            # unchanged between '"value":' and the closing '}'.
            start = line.index('"value":') + prefix_end
            raw = line[start:line.rindex("}")]
            row = build[topic](v) + (topic, part, offset, raw)
            out[topic].write(",".join(field(x) for x in row) + "\n")
    for fh in out.values():
        fh.close()


if __name__ == "__main__":
    if len(sys.argv) not in (4, 6):
        sys.exit(__doc__)
    main(*sys.argv[1:])
