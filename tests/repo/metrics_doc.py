#!/usr/bin/env python3
"""metrics_doc.py - docs/operations.md's "Metrics and alerts" section names
exactly the metrics the worker exports (every needlewatch_* name in the
string literals of ingest/metrics.c, histogram suffixes aside).

  metrics_doc.py [SRC]
"""
import os
import re
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(__file__), "..", ".."))


def text(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def base(name):
    return re.sub(r"_(bucket|sum|count)$", "", name)


section = re.search(r"^## Metrics.*?(?=^## |\Z)", text("docs/operations.md"), re.M | re.S)
literals = " ".join(re.findall(r'"((?:[^"\\]|\\.)*)"', text("ingest/metrics.c")))
exported = {base(n) for n in re.findall(r"\b(needlewatch_[a-z_]+)", literals)}
documented = {base(n) for n in re.findall(r"\b(needlewatch_[a-z_]+)", section.group(0))} if section else set()
checks = [
    (section is not None, "docs/operations.md has a '## Metrics' section", ""),
    (exported and not exported - documented, f"every exported metric ({len(exported)}) is described",
     sorted(exported - documented)),
    (not documented - exported, "every metric the section names is exported", sorted(documented - exported)),
]
failed = 0
for ok, msg, detail in checks:
    print(("ok   " if ok else "FAIL ") + msg + ("" if ok else f"\n     | {detail}"))
    failed += not ok
print(f"metrics_doc: {len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
