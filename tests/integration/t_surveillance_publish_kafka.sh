#!/usr/bin/env bash
# t_surveillance_publish_kafka.sh - --publish-signals, on both Kafka tiers: the
# analyzer produces one JSON message per flagged signal and per alert to the
# signals topic (--signals-topic), keyed kind/...; read back with kcat, a
# client needlewatch did not write, they match the JSON report one for one.
# (t_surveillance_burst.sh checks the same on a planted outbreak, on the
# development broker only; t_surveillance_publish.sh checks that each run
# publishes only what changed.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
nw_broker_start --topic signals:3
an_schema
J=$WORK/out.json
TOPIC=$(nw_topic signals)

python3 "$NW_SRC/tests/integration/sv_population.py" 7 12000 2024-01-01 26 \
    | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
sv_py() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }

nw_check "publish: exit 0" 0 \
    "$(an_run "$J" --format json --kafka-bootstrap "$BOOT" --publish-signals --signals-topic "$TOPIC")"
expected=$(sv_py "$J" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"]) + len(d["alerts"])')
nw_log "$expected signals and alerts in the report"
nw_check "publish: the population has signals to publish" yes "$([ "$expected" -gt 0 ] && echo yes || echo no)"
nw_check "publish: the analyzer says it delivered them all (all new on a first run)" 1 \
    "$(grep -c "$expected appeared, 0 changed, 0 cleared: published to $TOPIC\$" "$WORK/analyze.log" || true)"
timeout 60 kcat -b "$BOOT" -C -t "$TOPIC" -o beginning -e -q -f '%k\t%s\n' \
    >"$WORK/signals.tsv" 2>>"$WORK/kcat.log" || true
nw_check "publish: one message per signal and alert" "$expected" "$(wc -l <"$WORK/signals.tsv")"
nw_check "publish: keys are unique" "$expected" "$(cut -f1 "$WORK/signals.tsv" | sort -u | wc -l)"
nw_check "publish: alerts and signals as the report counts them" \
    "$(sv_py "$J" 'len(d["alerts"])')|$(sv_py "$J" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"])')" \
    "$(cut -f2- "$WORK/signals.tsv" | python3 -c 'import json,sys
k = [json.loads(l)["kind"] for l in sys.stdin]
print("%d|%d" % (k.count("alert"), k.count("signal")))')"
nw_done
