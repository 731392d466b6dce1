#!/usr/bin/env bash
# t_analyze_basic.sh - needlewatch-analyze on an empty database, a single
# treatment, and a small dataset whose every number was computed by hand;
# the SQL views agree with the analyzer on each.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
an_schema
J=$WORK/out.json

# --- Empty database: zero totals, no rate rows, adjusted rows all null.
nw_check "empty: exit 0" 0 "$(an_run "$J" --format json)"
nw_check "empty: totals" "0 0 0 0" "$(an_py "$J" '" ".join(str(d["totals"][k]) for k in ("treatments","complication_reports","orphan_complications","quarantined"))')"
nw_check "empty: no rates" "0 0" "$(an_py "$J" '"%d %d" % (len(d["rates"]), len(d["home_vs_clinic"]))')"
nw_check "empty: adjusted rows" "11 null null null 0" "$(an_py "$J" '" ".join([str(len(d["home_vs_clinic_adjusted"])), r6(adj("any")["mh_rate_ratio"]), r6(adj("any")["ci_low"]), r6(adj("any")["ci_high"]), str(adj("any")["strata_used"])])')"
nw_check "empty: views agree" ok "$(an_check_views "$J")"
nw_check "empty: text exit 0" 0 "$(an_run "$WORK/out.txt" --format text)"
nw_check "empty: text says so" 1 "$(grep -c "No treatments in this window" "$WORK/out.txt" || true)"
nw_check "empty: csv exit 0" 0 "$(an_run "$WORK/out.csv" --format csv)"
nw_check "empty: csv is the header only" \
    "device_type,setting,skin_type,complication,treatments,cases,rate,ci_low,ci_high" "$(cat "$WORK/out.csv")"

# --- A single treatment, no complication: 2^3 cells (itself and its
# margins) x 11 complications, all zero, and no comparison.
an_treat S1 1 home derma_stamp 3 2024-06-01
nw_check "single: exit 0" 0 "$(an_run "$J")"
nw_check "single: 88 rate rows" 88 "$(an_py "$J" 'len(d["rates"])')"
nw_check "single: all zero" "0" "$(an_py "$J" 'sum(r["cases"] for r in d["rates"])')"
nw_check "single: every cell has treatments 1" "1" "$(an_py "$J" 'set(r["treatments"] for r in d["rates"]).pop()')"
# Wilson for 0 of 1: lo 0, hi = z^2/(1+z^2) = 0.7934506856...
nw_check "single: Wilson 0/1" "0.000000 0.793451" "$(an_py "$J" 'r6(rate_row("derma_stamp","home","III","burn")["ci_low"]) + " " + r6(rate_row("derma_stamp","home","III","burn")["ci_high"])')"
nw_check "single: cells" "1 0 0 1 none" "$(an_py "$J" '" ".join([rate("all","all","all","any"), rate("all","home","all","scarring").split()[1], rate("derma_stamp","all","III","other").split()[0], rate("all","all","unknown","any")])')"
nw_check "single: no comparison" 0 "$(an_py "$J" 'len(d["home_vs_clinic"])')"
nw_check "single: views agree" ok "$(an_check_views "$J")"
nw_sql "DELETE FROM needlewatch.treatment_versions" >/dev/null

# --- The hand-computed dataset.
#   R1 home   derma_roller II   infection (2 reports: 1 case), burn
#   R2 home   derma_roller II   -
#   R3 clinic derma_roller II   infection
#   R4 clinic derma_roller unknown -
#   P1 clinic microneedling_pen V  hyperpigmentation
#   W1 home   derma_roller II, withdrawn by version 2: its infection is an orphan
#   complication on X9 (never received): orphan
an_treat R1 1 home derma_roller 2 2024-01-10
an_treat R2 1 home derma_roller 2 2024-02-10
an_treat R3 1 clinic derma_roller 2 2024-03-10
an_treat R4 1 clinic derma_roller null 2024-04-10
an_treat P1 1 clinic microneedling_pen 5 2024-05-10
an_treat W1 1 home derma_roller 2 2024-06-10
an_treat W1 2 home derma_roller 2 2024-06-10 true
an_comp C1 1 R1 infection
an_comp C2 1 R1 infection
an_comp C3 1 R1 burn
an_comp C4 1 R3 infection
an_comp C5 1 P1 hyperpigmentation
an_comp C6 1 W1 infection
an_comp C7 1 X9 scarring
nw_sql "INSERT INTO needlewatch.quarantine (topic, partition, kafka_offset, error)
        VALUES ('treatments', 0, 99, 'not JSON')" >/dev/null
nw_check "hand: exit 0" 0 "$(an_run "$J")"
nw_check "hand: totals" "5 5 2 1" "$(an_py "$J" '" ".join(str(d["totals"][k]) for k in ("treatments","complication_reports","orphan_complications","quarantined"))')"
nw_check "hand: roller home any" "2 1" "$(an_py "$J" 'rate("derma_roller","home","II","any")')"
nw_check "hand: duplicate infection counts once" "2 1" "$(an_py "$J" 'rate("derma_roller","home","II","infection")')"
nw_check "hand: roller clinic all-skin infection" "2 1" "$(an_py "$J" 'rate("derma_roller","clinic","all","infection")')"
nw_check "hand: all clinic any (R3, P1 of R3 R4 P1)" "3 2" "$(an_py "$J" 'rate("all","clinic","all","any")')"
nw_check "hand: all all any" "5 3" "$(an_py "$J" 'rate("all","all","all","any")')"
nw_check "hand: unknown skin" "1 0" "$(an_py "$J" 'rate("all","all","unknown","any")')"
nw_check "hand: no home pen cell" "none" "$(an_py "$J" 'rate("microneedling_pen","home","all","any")')"
nw_check "hand: 22 cells" 242 "$(an_py "$J" 'len(d["rates"])')"
# Wilson 1 of 2 at z: 0.5 -+ z sqrt(1/8 + z^2/16) / (1 + z^2/2) = 0.094531..0.905469
nw_check "hand: Wilson 1/2" "0.500000 0.094531 0.905469" "$(an_py "$J" '" ".join(r6(rate_row("derma_roller","home","II","any")[k]) for k in ("rate","ci_low","ci_high"))')"
# Crude home vs clinic, all devices, any: (1/2)/(2/3) = 0.75,
# se = sqrt(1 - 1/2 + 1/2 - 1/3) = 0.816497, z se = 1.600304,
# 0.75 exp(-+1.600304) = 0.151376..3.715903
nw_check "hand: crude RR any" "0.750000 0.151376 3.715903" "$(an_py "$J" '" ".join(r6(hvc("all","all","any")[k]) for k in ("rate_ratio","ci_low","ci_high"))')"
nw_check "hand: crude RR sides" "2 1 3 2" "$(an_py "$J" '"%d %d %d %d" % (hvc("all","all","any")["home"]["treatments"], hvc("all","all","any")["home"]["cases"], hvc("all","all","any")["clinic"]["treatments"], hvc("all","all","any")["clinic"]["cases"])')"
# Infection: (1/2)/(1/3) = 1.5, se = sqrt(1 - 1/2 + 1 - 1/3) = 1.080123, z se = 2.117003,
# 1.5 exp(-+2.117003) = 0.180588..12.459310
nw_check "hand: crude RR infection" "1.500000 0.180588 12.459310" "$(an_py "$J" '" ".join(r6(hvc("all","all","infection")[k]) for k in ("rate_ratio","ci_low","ci_high"))')"
nw_check "hand: zero cases -> null" "null null null" "$(an_py "$J" '" ".join(r6(hvc("all","all","burn")[k]) for k in ("rate_ratio","ci_low","ci_high"))')"
nw_check "hand: no comparison without home" "None" "$(an_py "$J" 'hvc("microneedling_pen","all","any")')"
# Adjusted any: one usable stratum (roller, II): a=1 n1=2 c=1 n2=1 N=3,
# R = 1/3, S = 2/3, MH = 0.5; Var = ((2*1*2 - 1*1*3)/9) / (2/9) = 0.5,
# interval 0.5 exp(-+ z sqrt 0.5) = 0.125049..1.999219
nw_check "hand: adjusted any" "0.500000 0.125049 1.999219 1" "$(an_py "$J" '" ".join([r6(adj("any")["mh_rate_ratio"]), r6(adj("any")["ci_low"]), r6(adj("any")["ci_high"]), str(adj("any")["strata_used"])])')"
nw_check "hand: adjusted hyperpigmentation undefined" "null 1" "$(an_py "$J" 'r6(adj("hyperpigmentation")["mh_rate_ratio"]) + " " + str(adj("hyperpigmentation")["strata_used"])')"
nw_check "hand: views agree" ok "$(an_check_views "$J")"
nw_check "hand: orphan view" "C6 treatment withdrawn,C7 treatment unknown" \
    "$(nw_sql "SELECT string_agg(report_id || ' ' || reason, ',' ORDER BY report_id) FROM needlewatch.orphan_complications")"

# Numbers are JSON numbers, never strings; each double is written in its
# shortest exact form (Python's repr gives the same text), and each rate is
# bit for bit cases / treatments (IEEE division, the same in Python).
nw_check "hand: numbers are exact JSON numbers" ok "$(python3 - "$J" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
tokens = re.findall(r'"\w+":\s*(-?[0-9][0-9.eE+-]*)', text)
floats = [t for t in tokens if not re.fullmatch(r'-?[0-9]+', t)]
not_shortest = [t for t in floats if repr(float(t)) != t]
strings = [v for k, v in re.findall(r'"(\w+)":\s*"(-?[0-9][0-9.eE+-]*)"', text)
           if k != "version" and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v)]  # dates
inexact = [r for r in d["rates"] if r["rate"] != r["cases"] / r["treatments"]]
ok = floats and not not_shortest and not strings and not inexact
print("ok" if ok else "not shortest %r, strings %r, inexact %r" % (not_shortest[:5], strings[:5], inexact[:2]))
PY
)"

nw_done
