#!/usr/bin/env bash
# t_analyze_versions.sh - report versions, withdrawals, orphans, duplicates
# and the --from/--to window, checked by hand and against the SQL views.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
an_schema
J=$WORK/out.json

# Treatments (the current version decides everything):
#   A1  v1 home, v2 clinic derma_roller II 2024-01-05    followed up into another cell
#   A2  v1 Fitzpatrick III, v2 IV, home pen 2024-02-01   followed up into another skin type
#   A3  home derma_roller I, withdrawn by v2             gone; its complication is an orphan
#   A4  home derma_stamp I, v2 withdraws, v3 restores    counted
#   A5  clinic rf VI 2024-03-31, A6 the same 2024-04-01  window edges
#   A7  home rf, no skin type, 2023-12-31
#   A8  clinic derma_roller II 2024-03-01, v2 stored before v1 (v1 said home)
an_treat A1 1 home derma_roller 2 2024-01-05
an_treat A1 2 clinic derma_roller 2 2024-01-05
an_treat A2 1 home microneedling_pen 3 2024-02-01
an_treat A2 2 home microneedling_pen 4 2024-02-01
an_treat A3 1 home derma_roller 1 2024-02-15
an_treat A3 2 home derma_roller 1 2024-02-15 true
an_treat A4 1 home derma_stamp 1 2024-01-20
an_treat A4 2 home derma_stamp 1 2024-01-20 true
an_treat A4 3 home derma_stamp 1 2024-01-20
an_treat A5 1 clinic rf_microneedling 6 2024-03-31
an_treat A6 1 clinic rf_microneedling 6 2024-04-01
an_treat A7 1 home rf_microneedling null 2023-12-31
an_treat A8 2 clinic derma_roller 2 2024-03-01
an_treat A8 1 home derma_roller 2 2024-03-01
# Complications:
#   K1 A1 infection; K2 A2 burn corrected to scarring by v2; K3 on withdrawn A3;
#   K4 A4 infection; K5 A5 acne_flare withdrawn by v2 (neither case nor orphan);
#   K6, K7 A6 fat_loss twice (one case), K8 A6 nerve_damage (any counts A6 once);
#   K9 on A9, never received; K10 v1 on A7, v2 moved to A5 (granuloma);
#   K11 A7 other.
an_comp K1 1 A1 infection
an_comp K2 1 A2 burn
an_comp K2 2 A2 scarring
an_comp K3 1 A3 infection
an_comp K4 1 A4 infection
an_comp K5 1 A5 acne_flare
an_comp K5 2 A5 acne_flare true
an_comp K6 1 A6 fat_loss
an_comp K7 1 A6 fat_loss
an_comp K8 1 A6 nerve_damage
an_comp K9 1 A9 infection
an_comp K10 1 A7 granuloma
an_comp K10 2 A5 granuloma
an_comp K11 1 A7 other

totals='" ".join(str(d["totals"][k]) for k in ("treatments","complication_reports","orphan_complications","quarantined","complication_reports_outside_window"))'

# --- No window.
nw_check "all: exit 0" 0 "$(an_run "$J")"
nw_check "all: totals" "7 8 2 0 0" "$(an_py "$J" "$totals")"
nw_check "all: A1 counted in clinic" "2 1" "$(an_py "$J" 'rate("derma_roller","clinic","II","any")')"
nw_check "all: no home roller left" "none" "$(an_py "$J" 'rate("derma_roller","home","all","any")')"
nw_check "all: A2 in skin IV" "1 1" "$(an_py "$J" 'rate("microneedling_pen","home","IV","scarring")')"
nw_check "all: A2 burn corrected away" "1 0" "$(an_py "$J" 'rate("microneedling_pen","home","IV","burn")')"
nw_check "all: A2 not in skin III" "none" "$(an_py "$J" 'rate("microneedling_pen","all","III","any")')"
nw_check "all: A3 withdrawn" "none" "$(an_py "$J" 'rate("derma_roller","all","I","any")')"
nw_check "all: A4 restored" "1 1" "$(an_py "$J" 'rate("derma_stamp","home","I","infection")')"
nw_check "all: rf clinic VI any (A6 once)" "2 2" "$(an_py "$J" 'rate("rf_microneedling","clinic","VI","any")')"
nw_check "all: duplicate fat_loss once" "2 1" "$(an_py "$J" 'rate("rf_microneedling","clinic","VI","fat_loss")')"
nw_check "all: moved complication" "2 1" "$(an_py "$J" 'rate("rf_microneedling","clinic","VI","granuloma")')"
nw_check "all: withdrawn complication" "2 0" "$(an_py "$J" 'rate("rf_microneedling","clinic","VI","acne_flare")')"
nw_check "all: A7 lost its granuloma" "1 0" "$(an_py "$J" 'rate("rf_microneedling","home","unknown","granuloma")')"
nw_check "all: margins any" "7 6" "$(an_py "$J" 'rate("all","all","all","any")')"
nw_check "all: margins infection" "7 2" "$(an_py "$J" 'rate("all","all","all","infection")')"
nw_check "all: skin VI all devices" "2 2" "$(an_py "$J" 'rate("all","all","VI","any")')"
nw_check "all: rf home vs clinic needs both" "None" "$(an_py "$J" 'hvc("rf_microneedling","VI","any")')"
nw_check "all: rf all-skin comparison" "1 1 2 2" "$(an_py "$J" '"%d %d %d %d" % (hvc("rf_microneedling","all","any")["home"]["treatments"], hvc("rf_microneedling","all","any")["home"]["cases"], hvc("rf_microneedling","all","any")["clinic"]["treatments"], hvc("rf_microneedling","all","any")["clinic"]["cases"])')"
nw_check "all: views agree" ok "$(an_check_views "$J")"

# --- Window 2024-01-01 .. 2024-03-31: A7 and A6 fall out, A5 stays (inclusive).
nw_check "window: exit 0" 0 "$(an_run "$J" --from 2024-01-01 --to 2024-03-31)"
nw_check "window: totals" "5 4 2 0 4" "$(an_py "$J" "$totals")"
nw_check "window: echoed" "2024-01-01 2024-03-31" "$(an_py "$J" 'd["window"]["from"] + " " + d["window"]["to"]')"
nw_check "window: any" "5 4" "$(an_py "$J" 'rate("all","all","all","any")')"
nw_check "window: rf clinic" "1 1" "$(an_py "$J" 'rate("rf_microneedling","clinic","all","any")')"
nw_check "window: rf home gone" "none" "$(an_py "$J" 'rate("rf_microneedling","home","all","any")')"
nw_check "window: views agree" ok "$(an_check_views "$J" 2024-01-01 2024-03-31)"

# --- Open-ended windows and a single day.
nw_check "from: exit 0" 0 "$(an_run "$J" --from 2024-04-01)"
nw_check "from: only A6 (three reports)" "1 3" "$(an_py "$J" 'rate("all","all","all","any").split()[0] + " " + str(d["totals"]["complication_reports"])')"
nw_check "from: views agree" ok "$(an_check_views "$J" 2024-04-01 "")"
nw_check "to: exit 0" 0 "$(an_run "$J" --to 2023-12-31)"
nw_check "to: only A7" "1 1" "$(an_py "$J" 'rate("rf_microneedling","home","unknown","any")')"
nw_check "to: views agree" ok "$(an_check_views "$J" "" 2023-12-31)"
nw_check "day: exit 0" 0 "$(an_run "$J" --from 2024-03-31 --to 2024-03-31)"
nw_check "day: only A5" "1 1" "$(an_py "$J" 'rate("all","all","all","granuloma")')"
nw_check "day: views agree" ok "$(an_check_views "$J" 2024-03-31 2024-03-31)"
nw_check "empty window: exit 0" 0 "$(an_run "$J" --from 2030-01-01)"
nw_check "empty window: nothing" "0 0 2" "$(an_py "$J" '"%d %d %d" % (d["totals"]["treatments"], len(d["rates"]), d["totals"]["orphan_complications"])')"
nw_check "empty window: views agree" ok "$(an_check_views "$J" 2030-01-01 "")"

nw_done
