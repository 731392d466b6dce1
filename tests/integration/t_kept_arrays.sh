#!/usr/bin/env bash
# t_kept_arrays.sh - the cumulative arrays of the risks' kept counts
# (sql/repeatable/30_kept.sql: needlewatch_kept.cum_add, its aggregate
# cum_sum and cum_at) against an independent computation in Python: hand
# cases (empty, NULL, one element, equal tails, zeros, negative changes)
# and 3,000 pseudo-random pairs of lengths 0 to 400. Element h+1 of such an
# array is the count for horizon h, its last element holds for every longer
# horizon, and a sum is cut after the last element unlike its final value.
source "$(dirname "$0")/lib.sh"
nw_setup
nw_apply_sql

python3 - >"$WORK/cases.tsv" <<'PY'
import random

def at(a, i):          # element i (0-based) with the last one extended
    return a[min(i, len(a) - 1)] if a else 0

def cum_add(a, b):
    a, b = a or [], b or []
    n = max(len(a), len(b))
    s = [at(a, i) + at(b, i) for i in range(n)]
    if not s:
        return []
    keep = max((i + 1 for i in range(n) if s[i] != s[-1]), default=0)
    return s[:keep + 1] if keep else ([] if s[-1] == 0 else [s[-1]])

def lit(a):
    return "NULL" if a is None else "{" + ",".join(map(str, a)) + "}"

cases = [(None, None), ([], []), (None, [3]), ([], [0, 0]), ([1], [2]), ([0], [0, 0, 0]),
         ([1, 2, 2, 2], []), ([1, 2, 3], [4]), ([5, 5, 5], [-5]), ([0, 1, 1], [1, 0, 0]),
         ([2, 2, 3, 3], [1, 1, 0, 0]), ([-1, 0, 1], [1, 0, -1])]
rng = random.Random(20261207)
for _ in range(3000):
    pair = []
    for _ in range(2):
        n = rng.choice([0, 1, 2, 5, 30, 250, 400])
        v, a = 0, []
        for _ in range(n):
            v += rng.choice([0, 0, 0, 1, 2]) if rng.random() < 0.9 else -1
            a.append(v)
        pair.append(a)
    cases.append(tuple(pair))
for a, b in cases:
    print("%s\t%s\t%s" % (lit(a), lit(b), lit(cum_add(a, b))))
# the aggregate: the running sum of every case's first array, in order
total = []
for a, _ in cases:
    total = cum_add(total, a)
print("SUM\t\t%s" % lit(total))
PY

psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE public.arr_cases (n serial, a integer[], b integer[], expected integer[]);
\copy public.arr_cases (a, b, expected) FROM program 'grep -v ^SUM $WORK/cases.tsv' WITH (NULL 'NULL')
SQL
nw_check "cases loaded" "$(($(wc -l <"$WORK/cases.tsv") - 1))" \
    "$(nw_sql "SELECT count(*) FROM public.arr_cases")"
nw_check "cum_add(a, b) = the Python computation, every case" "" \
    "$(nw_sql "SELECT string_agg(format('%s + %s: %s, expected %s', a, b,
                      needlewatch_kept.cum_add(a, b), expected), E'\n')
               FROM public.arr_cases
               WHERE needlewatch_kept.cum_add(a, b) IS DISTINCT FROM expected")"
nw_check "cum_add commutes" "0" \
    "$(nw_sql "SELECT count(*) FROM public.arr_cases
               WHERE needlewatch_kept.cum_add(a, b) IS DISTINCT FROM needlewatch_kept.cum_add(b, a)")"
nw_check "cum_sum, the aggregate, in order" "$(grep ^SUM "$WORK/cases.tsv" | cut -f3)" \
    "$(nw_sql "SELECT coalesce(needlewatch_kept.cum_sum(coalesce(a, '{}') ORDER BY n)::text, 'NULL')
               FROM public.arr_cases")"
nw_check "cum_at reads a sum at every horizon, the last element beyond" "0" \
    "$(nw_sql "SELECT count(*) FROM public.arr_cases c, generate_series(0, 401) h
               WHERE needlewatch_kept.cum_at(c.expected, h)
                     <> coalesce(needlewatch_kept.cum_at(c.a, h), 0)
                        + coalesce(needlewatch_kept.cum_at(c.b, h), 0)")"
nw_done
