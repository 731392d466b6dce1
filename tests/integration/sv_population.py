"""sv_population.py - a seeded population for the surveillance tests, as
psql COPY input for treatment_versions and complication_versions.

Usage: sv_population.py SEED N START_DATE WEEKS [--small] [--tempt]
                        [--burst=DEVICE:SETTING:TYPE:WEEK:P]
Writes two COPY blocks to stdout (pipe into psql). Complication reports
carry a reported_at (days after the treatment: 80% within 3 weeks, the rest
up to 4 months; 3% none). Built in: PW Home
derma rollers carry 4x the infection risk of other rollers (a model
signal), rf_microneedling 5x the burn risk (a device signal),
hyperpigmentation rises with Fitzpatrick type, and a few withdrawn
treatments and orphan complications that must count nowhere. Severities,
onsets (some left out) and outcomes follow from each report's numbers.
--small: few treatments for some device types, so cells are small and
suppression has work to do.
--tempt (with --small): also lay traps for recovery in the report counts.
No random "other" device and no random burn; instead 59 "other" (model
kit) treatments with 30 burn, 14 infection and 15 dryness_peeling reports,
and one burn report on a roller and one on a pen: the row (other, burn)
has a = 30 but c = 2, a derived count, and the burn column has two small
cells (so no line has a lonely hidden cell): hiding only small cells, and
the row, would give c back as (a+c) - a, with a+c from another burn row
and a = (a+b) minus the device's other published cells. Every other
type's total is topped up with roller reports to at least 12, so the
"all" margins are published.
"""
import random
import sys
from datetime import date, timedelta

seed, n, start, weeks = int(sys.argv[1]), int(sys.argv[2]), date.fromisoformat(sys.argv[3]), int(sys.argv[4])
small = "--small" in sys.argv
tempt = "--tempt" in sys.argv
rng = random.Random(seed)
MODELS = {"derma_roller": ["GR-540", "DL Roller 0.5", "PW Home"],
          "derma_stamp": ["SX-36", "DL Stamp"],
          "microneedling_pen": ["NC Pro 2", "A9", "PN-16"],
          "rf_microneedling": ["TX-RF 49", "RM Pulse"],
          "other": ["kit"]}
# Manufacturer of each model (no random draw, so the population is as
# before); every 23rd treatment names its model but no manufacturer.
MAKER = {"GR-540": "Glowroll", "DL Roller 0.5": "Dermalab", "PW Home": "Pinwheel",
         "SX-36": "Stampex", "DL Stamp": "Dermalab", "NC Pro 2": "Needlecraft", "A9": "Dermapen Co",
         "PN-16": "Pinwheel", "TX-RF 49": "Texel", "RM Pulse": "Radiomed", "kit": "Generic"}
DEV_W = [40, 8, 30, 15, 7] if not small else [70, 4, 20, 5, 0 if tempt else 1]
TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]
BASE = [0.02, 0.008, 0.015, 0.003, 0.001, 0.001, 0.002, 0.03, 0.01, 0.005]

tv, cv = [], []
off = 0


def details(i, k):
    """Severity, onset_days, outcome and reported_at of a complication
    report, from its numbers alone (no random draw, so the population is as
    before): one in 6 severe, one in 9 permanent, one in 8 without onset,
    onsets 0..119 days."""
    severity = "severe" if (i + k) % 6 == 0 else "moderate" if (i + k) % 3 == 0 else "mild"
    outcome = "permanent" if (i * 7 + k) % 9 == 0 else "resolved"
    onset = "\\N" if (i + 3 * k) % 8 == 0 else str((i * 13 + k * 7) % 120)
    return (severity, onset, outcome)

for i in range(1, n + 1):
    dev = rng.choices(list(MODELS), DEV_W)[0]
    model = rng.choice(MODELS[dev]) if rng.random() > 0.1 else None
    setting = "home" if rng.random() < (0.7 if dev in ("derma_roller", "derma_stamp", "other") else 0.2) else "clinic"
    fitz = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]) if rng.random() > 0.08 else None
    treated = start + timedelta(days=rng.randrange(weeks * 7))
    rid = "s%d-%d" % (seed, i)
    off += 1
    withdrawn = rng.random() < 0.01
    manu = "\\N" if model is None or i % 23 == 0 else MAKER[model]
    tv.append((rid, 1, "f", treated.isoformat(), setting, dev, "\\N" if fitz is None else str(fitz),
               "\\N" if model is None else model, off, manu))
    if withdrawn:
        off += 1
        tv.append((rid, 2, "t", treated.isoformat(), setting, dev, "\\N" if fitz is None else str(fitz),
                   "\\N" if model is None else model, off, manu))
    for k, t in enumerate(TYPES):
        p = BASE[k] * (2.0 if setting == "home" else 1.0)
        if t == "infection" and model == "PW Home":
            p *= 4
        if t == "burn" and dev == "rf_microneedling":
            p *= 5
        if t == "burn" and tempt:
            p = 0
        if t == "hyperpigmentation" and fitz:
            p *= 0.5 + 0.4 * fitz
        if rng.random() < p:
            off += 1
            cv.append(("c%d-%d-%d" % (seed, i, k), rid, t, off) + details(i, k))
            if rng.random() < 0.05:  # a second report of the same type: one case
                off += 1
                cv.append(("c%d-%d-%db" % (seed, i, k), rid, t, off) + details(i, k + 5))
if tempt:
    withdrawn_ids = {r[0] for r in tv if r[2] == "t"}  # they count nowhere
    totals = {t: 0 for t in TYPES}
    for r in cv:
        if r[1] not in withdrawn_ids:
            totals[r[2]] += 1

    def crafted(dev, model, types):
        global off
        for t in types:
            j = len(tv)
            rid = "x%d-%d" % (seed, j)
            treated = start + timedelta(days=j % (weeks * 7))
            off += 1
            tv.append((rid, 1, "f", treated.isoformat(), "home", dev, "3", model, off, MAKER[model]))
            off += 1
            cv.append(("cx%d-%d" % (seed, j), rid, t, off) + details(j, 1))
            totals[t] += 1

    crafted("other", "kit", ["burn"] * 30 + ["infection"] * 14 + ["dryness_peeling"] * 15)
    crafted("derma_roller", "GR-540", ["burn"])
    crafted("microneedling_pen", "NC Pro 2", ["burn"])
    for t in TYPES:
        if t != "burn":
            crafted("derma_roller", "GR-540", [t] * max(0, 12 - totals[t]))
for j in range(5):  # orphans
    off += 1
    cv.append(("o%d-%d" % (seed, j), "nope-%d" % j, "infection", off) + details(j, 2))
# An outbreak for the alerts (--burst DEVICE:SETTING:TYPE:WEEK:P): every
# treatment of the cell in that week (index from START_DATE) without a
# report of TYPE gets one with probability P; drawn from a stream of its
# own, so the rest of the population is unchanged.
burst = [a for a in sys.argv if a.startswith("--burst=")]
if burst:
    bdev, bset, btype, bweek, bp = burst[0][len("--burst="):].split(":")
    brng = random.Random(seed * 7919 + 3)
    has = {(r[1], r[2]) for r in cv}
    for r in list(tv):
        if r[2] == "t" or r[5] != bdev or r[4] != bset:
            continue
        if (date.fromisoformat(r[3]) - start).days // 7 != int(bweek) or (r[0], btype) in has:
            continue
        if brng.random() < float(bp):
            off += 1
            cv.append(("cb%d-%s" % (seed, r[0]), r[0], btype, off) + details(off, 3))
# When each complication report was made: days after its treatment, from a
# stream of its own (most within three weeks, a tail of late ones); 3% give
# none, so the analyzer counts them from ingested_at (the load time).
treated_on = {}
for r in tv:
    treated_on[r[0]] = r[3]
drng = random.Random(seed * 104729 + 1)
reported = {}
for r in cv:
    u = drng.random()
    days = drng.randrange(0, 21) if u < 0.8 else drng.randrange(21, 120)
    if drng.random() < 0.03 or r[1] not in treated_on:
        reported[r[0]] = "\\N"
    else:
        when = date.fromisoformat(treated_on[r[1]]) + timedelta(days=days)
        reported[r[0]] = when.isoformat() + " 10:00:00+00"

print("COPY needlewatch.treatment_versions (report_id, version, nullified, treated_on, setting, "
      "device_type, fitzpatrick, model, manufacturer, source_topic, source_partition, source_offset, message) FROM STDIN;")
for r in tv:
    print("\t".join([r[0], str(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[9], "treatments", "0", str(r[8]), "{}"]))
print("\\.")
print("COPY needlewatch.complication_versions (report_id, version, nullified, treatment_id, type, "
      "severity, onset_days, outcome, reported_at, source_topic, source_partition, "
      "source_offset, message) FROM STDIN;")
for r in cv:
    print("\t".join([r[0], "1", "f", r[1], r[2], r[4], r[5], r[6], reported[r[0]],
                     "complications", "0", str(r[3]), "{}"]))
print("\\.")
