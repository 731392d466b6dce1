/*
 * alerts.c - what --suppress-below hides of the alerts (see disclose.h).
 *
 * An alert publishes, for its own series and for each margin of also_in,
 * one block of numbers: the cases counted within D days in its window and
 * in its baseline weeks (observed, baseline_cases), the treatments of both
 * (sums of the weekly treatments the report publishes anyway), and what
 * is computed from them (expected, rates, p, q, statistic). The counted
 * cases are a family of counts of their own (a case reported late is in
 * the weekly series but not here), so each complication gets a table:
 *
 *   x(S, I)   the counted cases of series S (device incl. all x setting
 *             incl. all) in I, an elementary interval of weeks (the weeks
 *             cut at every end of a published window or baseline);
 *             never published, so hidden;
 *   O(S, R)   the counted cases of S in R, a range some block publishes:
 *             shown where a block of S publishes it, hidden elsewhere;
 *   F(S, R)   the weekly cases of S in R, the sum of the weekly series'
 *             values: known unless the weeks table hides one of them;
 * with the lines O(S, R) = sum of x(S, I) over I in R, and for each I the
 * margins of x over devices and over settings; and for every (S, R) the
 * derived count F(S, R) - O(S, R), the cases of R reported late.
 *
 * Primary suppression hides a block whose published O is 1..K-1, or whose
 * late count is, or whose window or baseline has a weekly treatment count
 * the weeks table hides (its treatments would then show it). A block is
 * hidden whole (all its numbers), and a count two blocks publish is hidden
 * in both. Then, until nothing changes: the audit (suppress_audit_all)
 * finds what the shown counts determine; a hidden count that is a leak -
 * a shown-then-hidden O that is not 0, an unpublished count (x, O or a
 * late count) in 1..K-1 - gets a partner: the visible block, smallest O
 * first, whose hiding makes it undetermined again; when none does, every
 * block of the complication is hidden. Unpublished counts that are 0 or K
 * and more may be worked out: they are not small counts. A complication
 * whose table would exceed TABLE_MAX_HIDDEN unknowns has all its blocks
 * hidden (counted as unprotectable). Pure.
 */
#include "disclose/disclose.h"

#include <stdlib.h>
#include <string.h>

#include "disclose/suppress.h"

#define TABLE_MAX_HIDDEN 2500

typedef struct {
    size_t lo, hi;
} range_t;

/* One block: where its numbers are, and which cells publish them. */
typedef struct {
    alert_evidence_t *e;
    bool *suppressed;       /* the flag to set */
    size_t ser;             /* device index (0..nd) * 3 + setting */
    size_t slot;
    int setting;
    size_t n_cells, cells[2]; /* O of its window, O of its baseline */
    bool hidden;
} block_t;

typedef struct {
    size_t nd, nser, nr, ni;
    range_t *ranges;        /* nr */
    range_t *iv;            /* ni elementary intervals */
    int64_t *value;
    bool *hidden, *fixed, *published;
    size_t n_cells;
    size_t *start, *lcells;
    size_t n_lines, n_lcells;
    suppress_derived_t *derived;
    size_t n_derived;
} atable_t;

static size_t x_at(const atable_t *t, size_t ser, size_t i)
{
    return ser * t->ni + i;
}

static size_t o_at(const atable_t *t, size_t ser, size_t r)
{
    return t->nser * t->ni + ser * t->nr + r;
}

static size_t f_at(const atable_t *t, size_t ser, size_t r)
{
    return t->nser * (t->ni + t->nr) + ser * t->nr + r;
}

static void atable_free(atable_t *t)
{
    free(t->ranges);
    free(t->iv);
    free(t->value);
    free(t->hidden);
    free(t->fixed);
    free(t->published);
    free(t->start);
    free(t->lcells);
    free(t->derived);
    memset(t, 0, sizeof(*t));
}

static size_t range_index(atable_t *t, size_t lo, size_t hi)
{
    for (size_t r = 0; r < t->nr; r++) {
        if (t->ranges[r].lo == lo && t->ranges[r].hi == hi)
            return r;
    }
    t->ranges[t->nr] = (range_t){lo, hi};
    return t->nr++;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The elementary intervals: the weeks of some range, cut at every end. */
static bool make_intervals(atable_t *t)
{
    size_t *cut = malloc((2 * t->nr + 1) * sizeof(*cut)), nc = 0;
    if (cut == NULL)
        return false;
    for (size_t r = 0; r < t->nr; r++) {
        cut[nc++] = t->ranges[r].lo;
        cut[nc++] = t->ranges[r].hi + 1;
    }
    qsort(cut, nc, sizeof(*cut), cmp_size);
    t->iv = malloc((nc ? nc : 1) * sizeof(*t->iv));
    if (t->iv == NULL) {
        free(cut);
        return false;
    }
    for (size_t k = 0; k + 1 < nc; k++) {
        if (cut[k] == cut[k + 1])
            continue;
        bool covered = false;
        for (size_t r = 0; r < t->nr && !covered; r++)
            covered = t->ranges[r].lo <= cut[k] && cut[k] <= t->ranges[r].hi;
        if (covered)
            t->iv[t->ni++] = (range_t){cut[k], cut[k + 1] - 1};
    }
    free(cut);
    return true;
}

static void line_add(atable_t *t, size_t cell)
{
    t->lcells[t->n_lcells++] = cell;
    t->start[t->n_lines] = t->n_lcells;
}

static void line_begin(atable_t *t)
{
    t->start[t->n_lines] = t->n_lcells;
    t->start[++t->n_lines] = t->n_lcells;
}

static size_t ser_slot(const atable_t *t, size_t ser)
{
    size_t d = ser / CUBE_SETTINGS;
    return d == t->nd ? CUBE_DEVICE_ALL : d;
}

static int64_t sum_weeks(const weekly_t *w, size_t slot, int setting, int count, size_t lo,
                         size_t hi)
{
    int64_t s = 0;
    for (size_t k = lo; k <= hi && k < w->n_weeks; k++)
        s += weekly_get(w, slot, setting, count, k);
    return s;
}

/* Builds the table of complication c for the blocks given. */
static bool atable_build(atable_t *t, const disclosure_t *d, const cube_t *cube,
                         const weekly_t *weekly, const weekly_t *counted, int c,
                         block_t *blocks, size_t nb)
{
    memset(t, 0, sizeof(*t));
    t->nd = cube->n_devices;
    t->nser = (t->nd + 1) * CUBE_SETTINGS;
    t->ranges = malloc((2 * nb + 1) * sizeof(*t->ranges));
    if (t->ranges == NULL)
        return false;
    for (size_t b = 0; b < nb; b++) {
        const alert_evidence_t *e = blocks[b].e;
        blocks[b].cells[0] = range_index(t, e->week + 1 - (size_t)e->window, e->week);
        blocks[b].n_cells = 1;
        if (e->has_baseline)
            blocks[b].cells[blocks[b].n_cells++] = range_index(t, e->base_first, e->base_last);
    }
    if (!make_intervals(t))
        return false;
    t->n_cells = t->nser * (t->ni + 2 * t->nr);
    size_t max_lines = t->nser * t->nr + t->ni * (CUBE_SETTINGS + t->nd + 1) + 1;
    size_t max_lcells = t->nser * t->nr * (t->ni + 1) +
                        t->ni * (CUBE_SETTINGS * (t->nd + 1) + (t->nd + 1) * 3);
    t->value = calloc(t->n_cells, sizeof(*t->value));
    t->hidden = calloc(t->n_cells, sizeof(*t->hidden));
    t->fixed = calloc(t->n_cells, sizeof(*t->fixed));
    t->published = calloc(t->n_cells, sizeof(*t->published));
    t->start = calloc(max_lines + 1, sizeof(*t->start));
    t->lcells = calloc(max_lcells + 1, sizeof(*t->lcells));
    t->derived = calloc(t->nser * t->nr + 1, sizeof(*t->derived));
    if (!t->value || !t->hidden || !t->fixed || !t->published || !t->start || !t->lcells ||
        !t->derived)
        return false;
    for (size_t ser = 0; ser < t->nser; ser++) {
        size_t slot = ser_slot(t, ser);
        int st = (int)(ser % CUBE_SETTINGS);
        for (size_t i = 0; i < t->ni; i++) {
            size_t at = x_at(t, ser, i);
            t->value[at] = sum_weeks(counted, slot, st, c, t->iv[i].lo, t->iv[i].hi);
            t->hidden[at] = t->fixed[at] = true;
        }
        for (size_t r = 0; r < t->nr; r++) {
            size_t o = o_at(t, ser, r), f = f_at(t, ser, r);
            bool f_hidden = false;
            t->value[o] = sum_weeks(counted, slot, st, c, t->ranges[r].lo, t->ranges[r].hi);
            t->hidden[o] = t->fixed[o] = true; /* until a block publishes it */
            t->value[f] = sum_weeks(weekly, slot, st, c, t->ranges[r].lo, t->ranges[r].hi);
            for (size_t w = t->ranges[r].lo; w <= t->ranges[r].hi; w++)
                f_hidden |= disclose_week(d, slot, st, w, c);
            t->fixed[f] = true;
            t->hidden[f] = f_hidden;
            /* The late cases of R: F - O, shown with O. */
            suppress_derived_t *dv = &t->derived[t->n_derived++];
            dv->owner = o;
            dv->value = t->value[f] - t->value[o];
            dv->n_terms = 2;
            dv->cells[0] = f;
            dv->coef[0] = 1;
            dv->cells[1] = o;
            dv->coef[1] = -1;
            /* O = the sum of its intervals. */
            line_begin(t);
            line_add(t, o);
            for (size_t i = 0; i < t->ni; i++) {
                if (t->iv[i].lo >= t->ranges[r].lo && t->iv[i].hi <= t->ranges[r].hi)
                    line_add(t, x_at(t, ser, i));
            }
        }
    }
    /* Margins of each interval: over devices, over settings. */
    for (size_t i = 0; i < t->ni; i++) {
        for (int st = 0; st < CUBE_SETTINGS; st++) {
            line_begin(t);
            line_add(t, x_at(t, t->nd * CUBE_SETTINGS + (size_t)st, i));
            for (size_t dv = 0; dv < t->nd; dv++)
                line_add(t, x_at(t, dv * CUBE_SETTINGS + (size_t)st, i));
        }
        for (size_t dv = 0; dv <= t->nd; dv++) {
            line_begin(t);
            line_add(t, x_at(t, dv * CUBE_SETTINGS + CUBE_SETTING_ALL, i));
            line_add(t, x_at(t, dv * CUBE_SETTINGS + CUBE_SETTING_HOME, i));
            line_add(t, x_at(t, dv * CUBE_SETTINGS + CUBE_SETTING_CLINIC, i));
        }
    }
    /* What the blocks publish. */
    for (size_t b = 0; b < nb; b++) {
        for (size_t k = 0; k < blocks[b].n_cells; k++) {
            size_t o = o_at(t, blocks[b].ser, blocks[b].cells[k]);
            blocks[b].cells[k] = o;
            t->published[o] = true;
            t->fixed[o] = false;
            t->hidden[o] = false;
        }
    }
    return true;
}

static suppress_table_t view(atable_t *t)
{
    return (suppress_table_t){t->n_cells, t->value, t->hidden, t->fixed, t->n_lines, t->start,
                              t->lcells, t->n_derived, t->derived};
}

/* Hides every cell of every hidden block, and every block with a hidden
 * cell, until both agree. */
static void close_blocks(atable_t *t, block_t *blocks, size_t nb)
{
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t b = 0; b < nb; b++) {
            bool any = blocks[b].hidden;
            for (size_t k = 0; k < blocks[b].n_cells; k++)
                any |= t->hidden[blocks[b].cells[k]];
            if (!any)
                continue;
            if (!blocks[b].hidden)
                changed = true;
            blocks[b].hidden = true;
            for (size_t k = 0; k < blocks[b].n_cells; k++) {
                changed |= !t->hidden[blocks[b].cells[k]];
                t->hidden[blocks[b].cells[k]] = true;
            }
        }
    }
}

/* The first leak: a hidden cell or late count that the shown counts
 * determine and that must not be (see the head comment). Returns -1 on
 * out of memory, 0 for none, 1 with *cell (or *derived, the other SIZE_MAX). */
static int find_leak(atable_t *t, const disclosure_t *d, size_t *cell, size_t *derived)
{
    suppress_table_t v = view(t);
    bool *det_c = malloc(t->n_cells * sizeof(*det_c));
    bool *det_d = malloc((t->n_derived ? t->n_derived : 1) * sizeof(*det_d));
    int rc = -1;

    *cell = *derived = SIZE_MAX;
    if (det_c == NULL || det_d == NULL || suppress_audit_all(&v, NULL, det_c, det_d) < 0)
        goto out;
    rc = 0;
    for (size_t i = 0; i < t->n_cells && rc == 0; i++) {
        if (!det_c[i] || !t->hidden[i] || i >= f_at(t, 0, 0))
            continue;
        if (t->published[i] ? t->value[i] != 0 : disclose_small(d, t->value[i])) {
            *cell = i;
            rc = 1;
        }
    }
    for (size_t j = 0; j < t->n_derived && rc == 0; j++) {
        if (det_d[j] && disclose_small(d, t->derived[j].value)) {
            *derived = j;
            rc = 1;
        }
    }
out:
    free(det_c);
    free(det_d);
    return rc;
}

/* Is the leak still there? */
static int still_leaks(atable_t *t, size_t cell, size_t derived)
{
    suppress_table_t v = view(t);
    bool *det_c = malloc(t->n_cells * sizeof(*det_c));
    bool *det_d = malloc((t->n_derived ? t->n_derived : 1) * sizeof(*det_d));
    int rc = -1;

    if (det_c != NULL && det_d != NULL && suppress_audit_all(&v, NULL, det_c, det_d) >= 0)
        rc = cell != SIZE_MAX ? det_c[cell] : det_d[derived];
    free(det_c);
    free(det_d);
    return rc;
}

static void hide_block(atable_t *t, block_t *b)
{
    b->hidden = true;
    for (size_t k = 0; k < b->n_cells; k++)
        t->hidden[b->cells[k]] = true;
}

/* Orders blocks by their observed count. */
static int cmp_block_value(const block_t *a, const block_t *b, const atable_t *t)
{
    int64_t x = t->value[a->cells[0]], y = t->value[b->cells[0]];
    return x < y ? -1 : x > y;
}

/* Protects the blocks of one complication. Returns -1 on out of memory. */
static int protect(disclosure_t *d, atable_t *t, block_t *blocks, size_t nb)
{
    suppress_table_t v = view(t);
    bool *saved = malloc(t->n_cells * sizeof(*saved));
    size_t *order = malloc((nb ? nb : 1) * sizeof(*order));
    int rc = -1;

    if (saved == NULL || order == NULL)
        goto out;
    suppress_primary(&v, d->below);
    close_blocks(t, blocks, nb);
    for (;;) {
        size_t cell, derived, n = 0;
        bool fixed_it = false;
        int leak = find_leak(t, d, &cell, &derived);
        if (leak < 0)
            goto out;
        if (leak == 0)
            break;
        /* Candidates: visible blocks, smallest observed first. */
        for (size_t b = 0; b < nb; b++) {
            if (!blocks[b].hidden)
                order[n++] = b;
        }
        for (size_t i = 1; i < n; i++) { /* insertion sort: few blocks */
            for (size_t k = i; k > 0 && cmp_block_value(&blocks[order[k - 1]],
                                                        &blocks[order[k]], t) > 0; k--) {
                size_t tmp = order[k];
                order[k] = order[k - 1];
                order[k - 1] = tmp;
            }
        }
        for (size_t i = 0; i < n && !fixed_it; i++) {
            block_t *b = &blocks[order[i]];
            memcpy(saved, t->hidden, t->n_cells * sizeof(*saved));
            hide_block(t, b);
            close_blocks(t, blocks, nb);
            int still = still_leaks(t, cell, derived);
            if (still < 0)
                goto out;
            if (!still) {
                fixed_it = true;
                break;
            }
            memcpy(t->hidden, saved, t->n_cells * sizeof(*saved));
            for (size_t k = 0; k < nb; k++) { /* undo close_blocks' side effects */
                bool any = false;
                for (size_t q = 0; q < blocks[k].n_cells; q++)
                    any |= t->hidden[blocks[k].cells[q]];
                blocks[k].hidden = any;
            }
        }
        if (!fixed_it) {
            d->unprotectable_lines++;
            for (size_t b = 0; b < nb; b++)
                hide_block(t, &blocks[b]);
            break;
        }
    }
    rc = 0;
out:
    free(saved);
    free(order);
    return rc;
}

/* Does the window or baseline of a block have a weekly treatment count
 * the weeks table hides? */
static bool treatments_hidden(const disclosure_t *d, const block_t *b)
{
    const alert_evidence_t *e = b->e;
    for (size_t w = e->week + 1 - (size_t)e->window; w <= e->week; w++) {
        if (disclose_week(d, b->slot, b->setting, w, WEEKLY_TREATMENTS))
            return true;
    }
    for (size_t w = e->base_first; e->has_baseline && w <= e->base_last; w++) {
        if (disclose_week(d, b->slot, b->setting, w, WEEKLY_TREATMENTS))
            return true;
    }
    return false;
}

static void block_of(const cube_t *cube, alert_evidence_t *e, bool *flag, size_t slot,
                     int setting, block_t *b)
{
    size_t dev = slot == CUBE_DEVICE_ALL ? cube->n_devices : slot;
    memset(b, 0, sizeof(*b));
    b->e = e;
    b->suppressed = flag;
    b->slot = slot;
    b->setting = setting;
    b->ser = dev * CUBE_SETTINGS + (size_t)setting;
}

int disclose_alerts(disclosure_t *d, const cube_t *cube, const weekly_t *weekly,
                    const weekly_t *counted, alerts_t *alerts)
{
    size_t total = 0;
    block_t *blocks = NULL;
    int rc = -1;

    for (size_t i = 0; i < alerts->n; i++) {
        alerts->rows[i].suppressed = false;
        total += 1 + alerts->rows[i].n_also_in;
        for (size_t k = 0; k < alerts->rows[i].n_also_in; k++)
            alerts->rows[i].also_in[k].suppressed = false;
    }
    if (d->below <= 0 || total == 0)
        return 0;
    blocks = calloc(total, sizeof(*blocks));
    if (blocks == NULL)
        return -1;
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        size_t nb = 0;
        atable_t t;
        for (size_t i = 0; i < alerts->n; i++) {
            alert_row_t *row = &alerts->rows[i];
            if (row->complication == c)
                block_of(cube, &row->evidence, &row->suppressed, row->device, row->setting,
                         &blocks[nb++]);
            for (size_t k = 0; k < row->n_also_in; k++) {
                alert_margin_t *m = &row->also_in[k];
                if (m->complication == c)
                    block_of(cube, &m->evidence, &m->suppressed, m->device, m->setting,
                             &blocks[nb++]);
            }
        }
        if (nb == 0)
            continue;
        if (!atable_build(&t, d, cube, weekly, counted, c, blocks, nb)) {
            atable_free(&t);
            goto out;
        }
        for (size_t b = 0; b < nb; b++) {
            if (treatments_hidden(d, &blocks[b]))
                hide_block(&t, &blocks[b]);
        }
        if (t.nser * (t.ni + t.nr) > TABLE_MAX_HIDDEN) {
            d->unprotectable_lines++;
            for (size_t b = 0; b < nb; b++)
                hide_block(&t, &blocks[b]);
        } else if (protect(d, &t, blocks, nb) != 0) {
            atable_free(&t);
            goto out;
        }
        for (size_t b = 0; b < nb; b++)
            *blocks[b].suppressed = blocks[b].hidden;
        atable_free(&t);
    }
    rc = 0;
out:
    free(blocks);
    return rc;
}
