"""bench_rows.py - a population of the alert benchmark as reports, for psql.

Usage: bench_rows.py ROWS.tsv FIRST_MONDAY
ROWS.tsv is `nwalerts rows SCENARIO SEED` (week, device, setting,
fitzpatrick, mask, count: so many treatments of that week and cell with
that set of complication types, bit c for the catalogue's type c + 1).
Writes COPY input for treatment_versions and complication_versions: each
treatment dated on a day of its week (spread over the seven), each of its
complications a report made the day after it, so that every case is
reported within any D and the alerts count what the benchmark counts.
"""
import sys
from datetime import date, timedelta

TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]
rows, first = sys.argv[1], date.fromisoformat(sys.argv[2])
out = sys.stdout
treatments, complications = [], []
with open(rows) as f:
    next(f)
    for line in f:
        week, dev, setting, fitz, mask, count = line.rstrip("\n").split("\t")
        monday = first + timedelta(weeks=int(week))
        for i in range(int(count)):
            rid = "b%s-%s-%s-%s-%s-%d" % (week, dev, setting, fitz, mask, i)
            day = monday + timedelta(days=i % 7)
            treatments.append((rid, day, setting, dev, fitz))
            for c in range(len(TYPES)):
                if int(mask) >> c & 1:
                    complications.append(("c%s-%d" % (rid, c), rid, TYPES[c], day + timedelta(days=1)))
out.write("COPY needlewatch.treatment_versions (report_id, version, nullified, treated_on, setting, "
          "device_type, fitzpatrick, source_topic, source_partition, source_offset, message) FROM STDIN;\n")
for n, (rid, day, setting, dev, fitz) in enumerate(treatments):
    out.write("%s\t1\tf\t%s\t%s\t%s\t%s\ttreatments\t0\t%d\t{}\n" % (rid, day, setting, dev, fitz, n))
out.write("\\.\n")
out.write("COPY needlewatch.complication_versions (report_id, version, nullified, treatment_id, type, "
          "reported_at, source_topic, source_partition, source_offset, message) FROM STDIN;\n")
for n, (cid, rid, typ, day) in enumerate(complications):
    out.write("%s\t1\tf\t%s\t%s\t%s 10:00:00+00\tcomplications\t0\t%d\t{}\n" % (cid, rid, typ, day, n))
out.write("\\.\n")
