#!/usr/bin/env python3
"""corpus_check.py - compares what the worker did with the hostile corpus
against tests/corpus/expected.tsv.

Usage: corpus_check.py CORPUS_DIR ORDER_FILE DB_DUMP
  ORDER_FILE: "topic<TAB>offset<TAB>file" lines: which file became which message.
  DB_DUMP: psql output (unaligned, tab-separated) of
    'stored' topic offset message_hex   for every stored report version
    'quarantined' topic offset error    for every quarantine row
Prints one line per mismatch and exits 1 if there is any.
"""
import sys


def main(corpus, order_file, dump_file):
    expected = {}
    with open(f"{corpus}/expected.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            file, outcome, prefix = (line.rstrip("\n").split("\t") + [""])[:3]
            expected[file] = (outcome, prefix)
    where = {}
    with open(order_file, encoding="utf-8") as f:
        for line in f:
            topic, offset, file = line.rstrip("\n").split("\t")
            where[(topic, int(offset))] = file
    got = {}
    with open(dump_file, encoding="utf-8") as f:
        for line in f:
            kind, topic, offset, rest = line.rstrip("\n").split("\t", 3)
            got[(topic, int(offset))] = (kind, rest)

    bad = 0
    for key, file in sorted(where.items()):
        outcome, prefix = expected[file]
        kind, rest = got.get(key, ("missing", ""))
        if kind != outcome:
            print(f"{file}: expected {outcome}, got {kind} {rest[:100]}")
            bad += 1
        elif kind == "quarantined" and not rest.startswith(prefix):
            print(f"{file}: expected error starting {prefix!r}, got {rest!r}")
            bad += 1
        elif kind == "stored":
            with open(f"{corpus}/{file}", "rb") as m:
                if bytes.fromhex(rest) != m.read():
                    print(f"{file}: stored message differs from the bytes produced")
                    bad += 1
    extra = set(got) - set(where)
    for key in sorted(extra):
        print(f"unexpected row for {key}: {got[key][0]}")
        bad += 1
    print(f"{len(where)} corpus messages checked, {bad} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
