#!/usr/bin/env python3
"""compose_run.py - the compose deployment from nothing, run here without an
engine: every service's command as `docker-compose config` says Compose
would run it, against an EMPTY PostgreSQL cluster.

  compose_run.py --bin BUILD/bin --work DIR

1. `docker-compose config` (Debian's docker-compose 1.29) reads, validates
   and interpolates docker/docker-compose.yml; everything below comes from
   its output, not from reading the file by hand.
2. An empty cluster (scripts/pg.sh --empty: initdb's superuser, nothing
   else), with password authentication on TCP as the postgres image sets it
   up (host ... scram-sha-256), so every login's password is checked.
3. The postgres service's init files (its binds under
   /docker-entrypoint-initdb.d), in name order, the way the image's
   entrypoint runs them: *.sql with psql, *.sh executed when executable and
   sourced otherwise, as $POSTGRES_USER on the socket, with the service's
   environment. Then once more (a guarded script changes nothing).
4. The migrate job's command, twice (the second applies nothing).
5. The kafka-topics job's command with kafka-topics.sh replaced by a stub
   that records its calls; the development broker then serves those topics
   with those partitions in place of kafka:9092.
6. ingest-1 and ingest-2 with the image's ENTRYPOINT (from docker/Dockerfile)
   and their command and environment: as nw_ingest, --no-migrate. Their
   healthcheck command must pass against them, as Docker would probe it.
7. The loadgen job; then, as wait-drained would, until every message is
   committed. The stored rows, the quarantine and the partition owners are
   checked.
8. The analyzer job as written (nw_analyst: an HTML report in its volume);
   the same command with --persist as nw_analyzer (a run is stored) and as
   nw_analyst (refused: analysts write nothing).
9. SIGTERM to each worker: exit 0 within the service's stop_grace_period.

Compose host names are mapped to this machine: postgres -> 127.0.0.1 and the
cluster's port, kafka:9092 -> the development broker, and bind-mounted or
image paths -> the files of this tree and of the build. What only an engine
does (pulling images, networks, scheduling healthchecks) is not covered.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerlib as dl  # noqa: E402

LOADGEN_TREATMENTS = "3000"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="the build's bin folder")
    ap.add_argument("--work", required=True, help="a scratch folder (emptied first)")
    args = ap.parse_args()
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.chmod(work, 0o755)  # PostgreSQL runs as "postgres" when we are root
    t = dl.Checks("compose_run")
    cleanups = []
    try:
        Run(t, os.path.abspath(args.bin), work, cleanups).all()
    except Exception as e:  # noqa: BLE001 - a crash is one more failure
        import traceback
        t.check(False, f"stopped: {e}", traceback.format_exc())
    finally:
        for c in reversed(cleanups):
            try:
                c()
            except Exception:  # noqa: BLE001
                pass
    if t.failed:
        print(f"compose_run: logs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    t.finish()


class Run:
    def __init__(self, t, bindir, work, cleanups):
        self.t, self.bin, self.work, self.cleanups = t, bindir, work, cleanups

    def log(self, name):
        return os.path.join(self.work, name + ".log")

    def all(self):
        if not self.read_config():
            return
        if not self.start_cluster():
            return
        if not self.init_database():
            return
        if not self.migrate():
            return
        if not self.kafka():
            return
        if not self.workers():
            return
        self.load_and_drain()
        self.analyzer()
        self.stop_workers()

    # --- 1. the compose file, as Compose reads it ------------------------

    def read_config(self):
        t = self.t
        t.section("docker-compose config")
        try:
            cfg = dl.compose_config({"NW_LOADGEN_TREATMENTS": LOADGEN_TREATMENTS})
        except RuntimeError as e:
            t.check(False, "docker-compose config accepts docker/docker-compose.yml", e)
            return False
        self.services = cfg.get("services", {})
        t.check(True, f"docker-compose config: {len(self.services)} services")
        want = {"postgres", "migrate", "kafka-topics", "ingest-1", "ingest-2", "loadgen", "analyzer"}
        if not t.check(want <= set(self.services), "the services this test runs are there",
                       sorted(want - set(self.services))):
            return False
        stages = dl.read_dockerfile()
        final = stages[-1]
        entry = final.all("ENTRYPOINT")
        self.image_entrypoint = entry[-1].words() if entry else []
        self.image_files = dl.image_files(final)
        t.check(self.image_entrypoint, f"the image's ENTRYPOINT: {' '.join(self.image_entrypoint)}")
        return True

    # Compose host names and container paths, mapped to this machine.
    def local_path(self, svc, path):
        if "build" in svc:
            local = dl.image_to_local(self.image_files, path, self.bin)
            if local:
                return local
        for target, host in dl.bind_mounts(svc).items():
            if path == target or path.startswith(target + "/"):
                return host + path[len(target):]
        return path

    def local_text(self, text):
        text = text.replace("kafka:9092", getattr(self, "boot", "kafka:9092"))
        return re.sub(r"\bhost=postgres\b", f"host=127.0.0.1 port={self.pg_port}", text)

    def argv(self, svc, extra_replace=None):
        """entrypoint + command, as Docker joins them, mapped to this machine."""
        if "entrypoint" in svc:
            ent = dl.as_list(svc["entrypoint"])
        elif "build" in svc:
            ent = self.image_entrypoint
        else:
            ent = []  # postgres' and kafka's entrypoints pass these commands through
        out = []
        for a in ent + dl.as_list(svc.get("command")):
            a = (extra_replace or {}).get(a, a)
            out.append(self.local_text(self.local_path(svc, a)))
        return out

    def env(self, svc):
        env = {}
        for k, v in dl.service_env(svc).items():
            if k == "PGHOST" and v == "postgres":
                env["PGHOST"], env["PGPORT"] = "127.0.0.1", self.pg_port
            else:
                env[k] = self.local_text(self.local_path(svc, v))
        return dl.base_env(env)

    def sql(self, query, db="needlewatch"):
        env = dl.base_env({"PGHOST": self.pg_socket, "PGPORT": self.pg_port,
                           "PGUSER": self.superuser, "PGDATABASE": db})
        p = dl.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", query], env=env)
        return p.stdout.strip() if p.returncode == 0 else f"ERROR: {p.stderr.strip()}"

    # --- 2. an empty cluster ----------------------------------------------

    def start_cluster(self):
        t = self.t
        t.section("an empty PostgreSQL cluster")
        pgsh = os.path.join(dl.SRC, "scripts", "pg.sh")
        pgdir = os.path.join(self.work, "pg")
        p = dl.run(["bash", pgsh, "--empty", "--tcp", "start", pgdir], env=dl.base_env(), timeout=120)
        if not t.check(p.returncode == 0, "scripts/pg.sh --empty --tcp start", p.stderr):
            return False
        self.cleanups.append(lambda: dl.run(["bash", pgsh, "stop", pgdir], env=dl.base_env(),
                                            timeout=60))
        status = dl.run(["bash", pgsh, "status", pgdir]).stdout
        m = re.search(r"data (\S+), socket (\S+), port (\d+)", status)
        env = dict(re.findall(r"export (\w+)=(\S+)", dl.run(["bash", pgsh, "env", pgdir]).stdout))
        self.pg_data, self.pg_socket, self.pg_port = m.group(1), m.group(2), m.group(3)
        self.superuser = env["PGUSER"]
        roles = self.sql("SELECT string_agg(rolname, ' ') FROM pg_roles WHERE rolname !~ '^pg_'",
                         "postgres")
        dbs = self.sql("SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database", "postgres")
        t.check(roles == self.superuser and dbs == "postgres template0 template1",
                f"empty: roles [{roles}], databases [{dbs}]")
        # As the postgres image does on its first start (POSTGRES_PASSWORD
        # set): password authentication for every host connection.
        hba = os.path.join(self.pg_data, "pg_hba.conf")
        st = os.stat(hba)
        with open(hba) as f:
            text = f.read()
        with open(hba, "w") as f:
            f.write("host all all 127.0.0.1/32 scram-sha-256  # compose_run.py: as the image\n" + text)
        os.chown(hba, st.st_uid, st.st_gid)
        return t.check(self.sql("SELECT pg_reload_conf()", "postgres") == "t",
                       "TCP connections need a password (scram-sha-256), as in the postgres image")

    # --- 3. the postgres service's init files -----------------------------

    def init_database(self):
        t = self.t
        t.section("postgres: /docker-entrypoint-initdb.d, as the image runs it")
        svc = self.services["postgres"]
        env = dl.service_env(svc)
        user = env.get("POSTGRES_USER", "postgres")
        if user == "postgres":
            user = self.superuser  # initdb's superuser ("postgres" when we are root)
        ienv = dl.base_env({k: v for k, v in env.items()})
        ienv.update({"POSTGRES_USER": user, "POSTGRES_DB": env.get("POSTGRES_DB", user),
                     "PGHOST": self.pg_socket, "PGPORT": self.pg_port})
        files = sorted(((os.path.basename(tgt), host) for tgt, host in dl.bind_mounts(svc).items()
                        if os.path.dirname(tgt) == "/docker-entrypoint-initdb.d"))
        t.check(files, "init files: " + " ".join(n for n, _ in files))
        for attempt in ("first start", "again"):
            for name, host in files:
                if name.endswith(".sql"):
                    cmd = ["psql", "-v", "ON_ERROR_STOP=1", "--username", user, "--no-password",
                           "--no-psqlrc", "--dbname", ienv["POSTGRES_DB"], "-f", host]
                    how = "psql -f"
                elif name.endswith(".sh") and os.access(host, os.X_OK):
                    cmd, how = [host], "executed"
                elif name.endswith(".sh"):
                    cmd, how = ["bash", "-c", 'set -Eeo pipefail; . "$1"', "init", host], "sourced"
                else:
                    continue
                p = dl.run(cmd, env=ienv, timeout=120)
                with open(self.log("init"), "a") as f:
                    f.write(f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr}")
                if not t.check(p.returncode == 0, f"{attempt}: {name} ({how})", p.stdout + p.stderr):
                    return False
        t.check(self.sql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'needlewatch'",
                         "postgres") == "needlewatch", "database needlewatch, owned by needlewatch")
        t.check(self.sql("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles "
                         "WHERE rolname = 'needlewatch'", "postgres") == "f",
                "the owner is no superuser and creates no roles or databases")
        return True

    # --- 4. migrate -----------------------------------------------------

    def migrate(self):
        t = self.t
        t.section("migrate: the job's command, as the owner")
        svc = self.services["migrate"]
        argv, env = self.argv(svc), self.env(svc)
        nfiles = len([f for f in os.listdir(os.path.join(dl.SRC, "sql")) if re.match(r"\d+_.*\.sql$", f)])
        nfiles += len([f for f in os.listdir(os.path.join(dl.SRC, "sql", "repeatable"))
                       if f.endswith(".sql")])
        p = dl.run(argv, env=env, timeout=300)
        with open(self.log("migrate"), "w") as f:
            f.write(p.stdout + p.stderr)
        if not t.check(p.returncode == 0 and p.stdout.count("applying") == nfiles,
                       f"{' '.join(dl.as_list(svc.get('command')))} as {env.get('PGUSER')}: "
                       f"applies the {nfiles} migrations and repeatable files", p.stdout + p.stderr):
            return False
        p = dl.run(argv, env=env, timeout=300)
        t.check(p.returncode == 0 and "applying" not in p.stdout, "again: nothing to apply",
                p.stdout + p.stderr)
        return True

    # --- 5. topics and the broker ----------------------------------------

    def kafka(self):
        t = self.t
        t.section("kafka-topics: the job's command against a stub kafka-topics.sh")
        svc = self.services["kafka-topics"]
        stubdir = os.path.join(self.work, "stub")
        os.makedirs(stubdir)
        stub = os.path.join(stubdir, "kafka-topics.sh")
        with open(stub, "w") as f:
            f.write('#!/bin/sh\necho "$*" >>"$(dirname "$0")/calls"\n')
        os.chmod(stub, 0o755)
        argv = [a.replace("/opt/kafka/bin/kafka-topics.sh", stub) for a in dl.as_list(svc.get("command"))]
        p = dl.run(argv, env=dl.base_env(dl.service_env(svc)), timeout=60)
        calls = dl.file_text(os.path.join(stubdir, "calls")).splitlines()
        topics = {}
        for call in calls:
            m = re.search(r"--topic (\S+) --partitions (\d+)", call)
            if "--create" in call and m and "--if-not-exists" in call:
                topics[m.group(1)] = int(m.group(2))
        if not t.check(p.returncode == 0 and set(topics) == {"treatments", "complications"},
                       f"creates (if not there) {topics}", p.stdout + p.stderr + "\n".join(calls)):
            return False
        bootfile = os.path.join(self.work, "bootstrap")
        broker = subprocess.Popen([os.path.join(self.bin, "needlewatch-devbroker"), "--bootstrap-file",
                                   bootfile] + [a for tp, n in topics.items() for a in ("--topic", f"{tp}:{n}")],
                                  stdin=subprocess.DEVNULL, stdout=open(self.log("devbroker"), "w"),
                                  stderr=subprocess.STDOUT)
        self.cleanups.append(lambda: (broker.terminate(), broker.wait(10)))
        self.partitions = sum(topics.values())
        if not t.check(wait_for(lambda: dl.file_text(bootfile).strip(), 20),
                       "development broker up in place of kafka:9092"):
            return False
        self.boot = dl.file_text(bootfile).strip()
        return True

    # --- 6. the workers ----------------------------------------------------

    def workers(self):
        t = self.t
        t.section("ingest-1, ingest-2: the image's entrypoint, their command and environment")
        self.procs = {}
        for name in ("ingest-1", "ingest-2"):
            svc = self.services[name]
            argv, env = self.argv(svc), self.env(svc)
            conninfo = env.get("NEEDLEWATCH_PG_CONNINFO", "")
            t.check("--no-migrate" in argv and re.search(r"\buser=nw_ingest\b", conninfo),
                    f"{name} runs --no-migrate as nw_ingest")
            env["NEEDLEWATCH_METRICS_LISTEN"] = "127.0.0.1:0"  # two on one host: any free port
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=open(self.log(name), "w"), stderr=subprocess.STDOUT)
            self.cleanups.append(lambda proc=proc: (proc.poll() is None and proc.kill(), proc.wait(10)))
            self.procs[name] = (proc, env)
        ok = True
        for name, (proc, env) in self.procs.items():
            svc = self.services[name]
            m = wait_for(lambda: re.search(r"serving /metrics, /healthz and /readyz on 127\.0\.0\.1:(\d+)",
                                           dl.file_text(self.log(name))) or proc.poll() is not None, 30)
            if not t.check(m and proc.poll() is None, f"{name} is running",
                           dl.file_text(self.log(name))):
                ok = False
                continue
            test = dl.as_list((svc.get("healthcheck") or {}).get("test"))
            hc = [self.local_path(svc, a) for a in test[1:]] if test and test[0] == "CMD" else []
            henv = dict(env, NEEDLEWATCH_METRICS_LISTEN=f"0.0.0.0:{m.group(1)}")
            ready = hc and wait_for(lambda: dl.run(hc, env=henv, timeout=20).returncode == 0, 60, 0.5)
            ok &= t.check(ready, f"{name}: its healthcheck ({' '.join(test[1:])}) passes",
                          dl.file_text(self.log(name)))
        return ok

    # --- 7. the generator, and everything stored ----------------------------

    def load_and_drain(self):
        t = self.t
        t.section("loadgen, then every message committed")
        svc = self.services["loadgen"]
        argv = self.argv(svc)
        p = dl.run(argv, env=self.env(svc), timeout=300)
        summary = dict(re.findall(r"(\w+)=(\d+)", p.stdout))
        if not t.check(p.returncode == 0 and "messages" in summary,
                       f"loadgen {' '.join(argv[1:])}", p.stdout + p.stderr):
            return
        msgs = summary["messages"]
        committed = lambda: self.sql("SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets "  # noqa: E731
                                     "WHERE next_offset > 0")
        wait_for(lambda: committed() == msgs or any(pr.poll() is not None for pr, _ in self.procs.values()),
                 120, 0.5)
        t.check(committed() == msgs, f"the workers committed all {msgs} messages",
                "\n".join(dl.file_text(self.log(n))[-3000:] for n in self.procs))
        t.check(self.sql("SELECT count(*) FROM needlewatch.quarantine") == summary.get("invalid"),
                f"the quarantine holds the {summary.get('invalid')} malformed messages")
        t.check(int(self.sql("SELECT count(*) FROM needlewatch.treatments") or 0) > 0,
                f"treatments stored ({self.sql('SELECT count(*) FROM needlewatch.treatments')})")
        t.check(self.sql("SELECT count(DISTINCT owner) FROM needlewatch.kafka_offsets") == "2",
                "both workers own partitions (one group, two members)")

    # --- 8. the analyzer --------------------------------------------------

    def analyzer(self):
        t = self.t
        t.section("analyzer: as nw_analyst, and --persist as nw_analyzer")
        svc = self.services["analyzer"]
        reports = os.path.join(self.work, "reports")
        os.makedirs(reports)
        volume = next(iter(dl.named_volumes(svc)), None)
        argv = [a.replace(volume, reports) if volume and a.startswith(volume + "/") else a
                for a in self.argv(svc)]
        env = self.env(svc)
        out = argv[argv.index("--output") + 1] if "--output" in argv else None
        p = dl.run(argv, env=env, timeout=300)
        t.check(p.returncode == 0 and out and "<html" in dl.file_text(out).lower(),
                f"{' '.join(dl.as_list(svc.get('command')))} as {env.get('PGUSER')}: "
                f"HTML report in the {volume and dl.named_volumes(svc)[volume]} volume",
                p.stdout + p.stderr)
        pw = dl.service_env(self.services["postgres"]).get("NW_ANALYZER_PASSWORD")
        if not t.check(pw, "the postgres service sets NW_ANALYZER_PASSWORD (the --persist login's)"):
            return
        penv = dict(env, PGUSER="nw_analyzer", PGPASSWORD=pw)
        p = dl.run(argv + ["--persist"], env=penv, timeout=300)
        t.check(p.returncode == 0 and self.sql("SELECT count(*) FROM needlewatch.analysis_runs") == "1",
                "--persist as nw_analyzer: the run is stored", p.stdout + p.stderr)
        p = dl.run(argv + ["--persist"], env=env, timeout=300)
        t.check(p.returncode != 0 and "permission denied" in p.stderr
                and self.sql("SELECT count(*) FROM needlewatch.analysis_runs") == "1",
                "--persist as nw_analyst: refused, nothing stored", p.stdout + p.stderr)

    # --- 9. docker compose stop ----------------------------------------------

    def stop_workers(self):
        t = self.t
        t.section("SIGTERM, then the grace period")
        for name, (proc, _) in self.procs.items():
            grace = dl.duration_s(self.services[name].get("stop_grace_period", "10s")) or 10
            t0 = time.time()
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(grace)
            except subprocess.TimeoutExpired:
                rc = None
            t.check(rc == 0, f"{name}: exit {rc} {time.time() - t0:.1f}s after SIGTERM (grace {grace:.0f}s)",
                    dl.file_text(self.log(name))[-3000:])


def wait_for(pred, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


if __name__ == "__main__":
    main()
