#!/usr/bin/env python3
"""systemd_units.py - the systemd units of config/, checked by systemd's own
tools where this machine has them.

  systemd_units.py --bin BUILD/bin --work DIR

1. systemd-analyze verify on each unit (the worker template as instance
   "a"), with ExecStart pointed at the built programs (verify checks that
   the program exists). Any message fails the check.
2. systemd-analyze security --offline: the services' exposure stays <= 2.0.
3. What neither checks, from the units' text: the worker runs
   needlewatch-ingest --config from its credential and --no-migrate, as a
   dynamic user, restarts on exit 1 but not on a configuration error (2),
   stops with SIGTERM within the compose file's grace period, and the
   analyzer is a oneshot whose report is written with --output, on a
   persistent timer. Each program named by ExecStart accepts those options
   (its --help lists them).
Without systemd-analyze (a machine without the systemd package) the test
fails: scripts/deps.sh installs it.
"""
import argparse
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerlib as dl  # noqa: E402

UNITS = ("needlewatch-ingest@.service", "needlewatch-analyze.service", "needlewatch-analyze.timer")


def settings(path):
    out = {}
    for line in dl.file_text(path).splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, _, v = line.partition("=")
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def first(s, key):
    return (s.get(key) or [""])[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t = dl.Checks("systemd_units")
    cfg = os.path.join(dl.SRC, "config")
    worker, analyze, timer = (settings(os.path.join(cfg, u)) for u in UNITS)

    t.section("systemd-analyze")
    if t.check(shutil.which("systemd-analyze"), "systemd-analyze is installed"):
        for u in UNITS:
            text = dl.file_text(os.path.join(cfg, u)).replace("/usr/local/bin/", os.path.abspath(args.bin) + "/")
            with open(os.path.join(work, u), "w") as f:
                f.write(text)
        for unit in ("needlewatch-ingest@a.service", "needlewatch-analyze.service", "needlewatch-analyze.timer"):
            p = dl.run(["systemd-analyze", "verify", os.path.join(work, unit)], env=dl.base_env(), timeout=60)
            t.check(p.returncode == 0 and not p.stderr.strip(), f"systemd-analyze verify {unit}",
                    p.stdout + p.stderr)
        for unit in ("needlewatch-ingest@a.service", "needlewatch-analyze.service"):
            p = dl.run(["systemd-analyze", "security", "--offline=true", os.path.join(work, unit)],
                       env=dl.base_env(), timeout=60)
            m = re.search(r"Overall exposure level for \S+: ([\d.]+)", p.stdout)
            t.check(m and float(m.group(1)) <= 2.0,
                    f"systemd-analyze security {unit}: exposure {m.group(1) if m else '?'} (at most 2.0)",
                    p.stdout + p.stderr)

    t.section("what the tools do not check")
    start = first(worker, "ExecStart").split()
    t.check(start[:1] == ["/usr/local/bin/needlewatch-ingest"] and "--no-migrate" in start
            and "--config" in start and start[start.index("--config") + 1].startswith("%d/"),
            f"worker: {' '.join(start)} (the configuration from its credential)")
    t.check("%i" in " ".join(worker.get("LoadCredential", [])), "worker: the instance name picks the configuration")
    for key, want in (("DynamicUser", "yes"), ("Restart", "on-failure"), ("RestartPreventExitStatus", "2"),
                      ("KillSignal", "SIGTERM"), ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes")):
        t.check(first(worker, key) == want, f"worker: {key}={want}")
    stop = dl.duration_s(first(worker, "TimeoutStopSec"))
    try:
        grace = dl.duration_s(dl.compose_config()["services"]["ingest-1"].get("stop_grace_period"))
    except Exception as e:  # noqa: BLE001
        grace = None
        t.check(False, "docker-compose config", e)
    t.check(stop and stop == grace, f"worker: TimeoutStopSec={first(worker, 'TimeoutStopSec')}, "
                                    f"the compose file's stop_grace_period ({grace} s)")
    astart = first(analyze, "ExecStart").split()
    t.check(first(analyze, "Type") == "oneshot" and astart[:1] == ["/usr/local/bin/needlewatch-analyze"]
            and "--output" in astart, f"analyzer: a oneshot run of {' '.join(astart)}")
    t.check(first(timer, "OnCalendar") and first(timer, "Persistent") == "true", "timer: OnCalendar, Persistent=true")
    for argv in (start, astart):
        prog = os.path.join(os.path.abspath(args.bin), os.path.basename(argv[0]))
        helptext = dl.run([prog, "--help"], env=dl.base_env()).stdout
        opts = [a for a in argv[1:] if a.startswith("--")]
        t.check(all(o in helptext for o in opts), f"{os.path.basename(prog)} --help lists {' '.join(opts)}")
    if not t.failed:
        shutil.rmtree(work, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
