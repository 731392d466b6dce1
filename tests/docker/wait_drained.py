#!/usr/bin/env python3
"""wait_drained.py - docker/wait-drained.sh (the compose file's
"wait-drained" job) against canned `kafka-consumer-groups.sh --describe`
output: the compose run (compose_run.py) has no Kafka tools to give it the
real thing.

  wait_drained.py --work DIR

The job's environment comes from `docker-compose config`; a stub in place of
kafka-consumer-groups.sh records its arguments and prints the canned table.
"""
import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerlib as dl  # noqa: E402

HEADER = ("GROUP              TOPIC          PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  "
          "CONSUMER-ID  HOST  CLIENT-ID")


def table(rows, group):
    lines = ["", HEADER]
    for topic, p, cur, end in rows:
        lag = "-" if cur == "-" else str(int(end) - int(cur))
        lines.append(f"{group} {topic} {p} {cur} {end} {lag} rdkafka-1234 /172.18.0.5 needlewatch-ingest-1")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    work = os.path.abspath(ap.parse_args().work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t = dl.Checks("wait_drained")
    svc = dl.compose_config()["services"]["wait-drained"]
    env = dl.service_env(svc)
    script = dl.bind_mounts(svc)[dl.as_list(svc["command"])[1]]
    group, parts = env["NW_GROUP"], int(env["NW_PARTITIONS"])
    topics = env["NW_TOPICS"].split()
    stub, canned = os.path.join(work, "kafka-consumer-groups.sh"), os.path.join(work, "describe.txt")
    with open(stub, "w") as f:
        f.write('#!/bin/sh\necho "$*" >>"$(dirname "$0")/args"\ncat "$(dirname "$0")/describe.txt"\n')
    os.chmod(stub, 0o755)

    def drained(rows, want_rc, label):
        with open(canned, "w") as f:
            f.write(rows if isinstance(rows, str) else table(rows, group))
        e = dl.base_env(env)
        e.update({"KAFKA_CONSUMER_GROUPS": stub, "NW_DRAIN_TIMEOUT_S": "0", "NW_DRAIN_POLL_S": "0"})
        p = dl.run(["bash", script], env=e, timeout=30)
        t.check(p.returncode == want_rc, f"{label}: exit {want_rc}", p.stdout + p.stderr)

    full = [(tp, i, "100", "100") for tp in topics for i in range(parts)]
    drained(full, 0, f"all {len(full)} partitions at their end")
    args = dl.file_text(os.path.join(work, "args"))
    t.check(f"--describe --group {group}" in args and f"--bootstrap-server {env['NW_BOOTSTRAP']}" in args,
            f"asks kafka-consumer-groups.sh --describe about group {group}", args)
    last = (topics[-1], parts - 1)
    drained(full[:-1] + [last + ("90", "100")], 1, "one partition 10 behind")
    drained(full[:-1], 1, "a partition missing from the description")
    drained(full[:-1] + [last + ("-", "0")], 0, "an empty partition with no commit")
    drained(full[:-1] + [last + ("-", "5")], 1, "a partition with messages and no commit")
    drained(full + [("other-topic", 0, "0", "7")], 0, "another topic of the group is ignored")
    drained(f"\nConsumer group '{group}' does not exist.\n", 1, "no group yet")
    if not t.failed:
        shutil.rmtree(work, ignore_errors=True)
    t.finish()


if __name__ == "__main__":
    main()
