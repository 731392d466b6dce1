#!/usr/bin/env python3
"""roles.py - the group roles are defined once, in sql/roles.sql, and every
other place agrees with that list.

  roles.py [SRC]

Reads the role names of sql/roles.sql's VALUES list, then checks:
  - every name of the form needlewatch_<word> in the migrations, the docs,
    the README, the scripts, docker/, config/ and the integration tests is
    one of them, unless it is another kind of name: the schema
    needlewatch_kept, a metric of ingest/metrics.c, the fuzz project;
  - every role of the list is used (granted something) by a migration;
  - the migrations create no role: only sql/roles.sql does.
Prints one line per check and "N passed, N failed"; exit 1 on a failure.
"""
import os
import re
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                      os.path.join(os.path.dirname(__file__), "..", ".."))
passed = failed = 0


def check(cond, msg, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {msg}")
    else:
        failed += 1
        print(f"FAIL {msg}" + (f"\n     | {detail}" if detail else ""))


def text(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8", errors="replace") as f:
        return f.read()


def files_under(rel, suffixes):
    out = []
    for root, dirs, names in os.walk(os.path.join(SRC, rel)):
        dirs[:] = [d for d in dirs if not d.startswith(("build", "."))]
        out += [os.path.relpath(os.path.join(root, n), SRC) for n in names if n.endswith(suffixes)]
    return sorted(out)


roles_sql = text("sql/roles.sql")
values = re.search(r"FROM \(VALUES(.*?)\) AS v\(", roles_sql, re.S)
roles = set(re.findall(r"\('(needlewatch_[a-z_]+)',", values.group(1))) if values else set()
check(len(roles) >= 4, f"sql/roles.sql lists {len(roles)} group roles: {' '.join(sorted(roles))}")

# Names of the same shape that are not roles.
metrics = set(re.findall(r"\b(needlewatch_[a-z_]+)", text("ingest/metrics.c")))
not_roles = {"needlewatch_kept", "needlewatch_fuzz", "needlewatch_"} | metrics
not_roles |= {m + s for m in metrics for s in ("_bucket", "_sum", "_count")}

migrations = files_under("sql", (".sql",))
migrations = [m for m in migrations if re.match(r"sql/\d+_", m)]
places = (migrations + ["README.md"] + files_under("docs", (".md",)) + files_under("scripts", (".sh",))
          + files_under("docker", ("",)) + files_under("config", ("",))
          + files_under("tests/integration", (".sh", ".py")))
for rel in places:
    names = set(re.findall(r"\b(needlewatch_[a-z_]*)", text(rel))) - not_roles
    unknown = sorted(names - roles)
    if names:
        check(not unknown, f"{rel}: the group roles it names are sql/roles.sql's",
              f"not in sql/roles.sql: {unknown}")

used = set()
for rel in migrations:
    used |= set(re.findall(r"\b(needlewatch_[a-z_]+)", text(rel))) & roles
    code = re.sub(r"--[^\n]*", "", text(rel))  # comments may show examples
    creates = re.findall(r"CREATE ROLE[^;]*", code, re.I)
    check(not creates, f"{rel} creates no role", "; ".join(creates))
check(used == roles, "every role of sql/roles.sql is used by a migration", sorted(roles - used))

print(f"roles: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
