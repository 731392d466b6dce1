/*
 * suppress.c - primary and complementary small-cell suppression, with a
 * linear-algebra audit (see suppress.h).
 */
#include "suppress.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void suppress_primary(suppress_table_t *t, int64_t k)
{
    for (size_t i = 0; i < t->n_cells; i++) {
        if ((t->fixed == NULL || !t->fixed[i]) && t->value[i] > 0 && t->value[i] < k)
            t->hidden[i] = true;
    }
    for (size_t i = 0; i < t->n_derived; i++) {
        const suppress_derived_t *dv = &t->derived[i];
        if ((t->fixed == NULL || !t->fixed[dv->owner]) && dv->value > 0 && dv->value < k)
            t->hidden[dv->owner] = true;
    }
}

static bool can_hide(const suppress_table_t *t, size_t cell)
{
    return !t->hidden[cell] && (t->fixed == NULL || !t->fixed[cell]);
}

/* Hides the best partner in line l: the smallest positive visible cell,
 * else any visible one. Returns false when there is none. */
static bool hide_partner(suppress_table_t *t, size_t l)
{
    size_t best = SIZE_MAX;
    for (size_t j = t->start[l]; j < t->start[l + 1]; j++) {
        size_t cell = t->cells[j];
        if (!can_hide(t, cell))
            continue;
        if (best == SIZE_MAX ||
            (t->value[cell] > 0 && (t->value[best] == 0 || t->value[cell] < t->value[best])))
            best = cell;
    }
    if (best == SIZE_MAX)
        return false;
    t->hidden[best] = true;
    return true;
}

/* Step 1: no line with exactly one hidden cell. Returns 1 if a line cannot
 * be fixed. */
static int no_lonely_cells(suppress_table_t *t)
{
    bool changed = true;
    int rc = 0;
    while (changed) {
        changed = false;
        for (size_t l = 0; l < t->n_lines; l++) {
            size_t hidden = 0;
            for (size_t j = t->start[l]; j < t->start[l + 1]; j++)
                hidden += t->hidden[t->cells[j]];
            if (hidden != 1)
                continue;
            if (hide_partner(t, l))
                changed = true;
            else
                rc = 1;
        }
    }
    return rc;
}

long suppress_audit(const suppress_table_t *t, size_t *recovered)
{
    return suppress_audit_all(t, recovered, NULL, NULL);
}

long suppress_audit_all(const suppress_table_t *t, size_t *recovered, bool *cells,
                        bool *derived)
{
    size_t *col = NULL, *cell_of = NULL, *pivot = NULL, nv = 0, nr = 0;
    double *m = NULL, *v = NULL;
    long found = -1;

    if (cells != NULL)
        memset(cells, 0, t->n_cells * sizeof(*cells));
    if (derived != NULL && t->n_derived > 0)
        memset(derived, 0, t->n_derived * sizeof(*derived));
    col = malloc((t->n_cells ? t->n_cells : 1) * sizeof(*col));
    cell_of = malloc((t->n_cells ? t->n_cells : 1) * sizeof(*cell_of));
    if (col == NULL || cell_of == NULL)
        goto out;
    for (size_t i = 0; i < t->n_cells; i++) {
        col[i] = SIZE_MAX;
        if (t->hidden[i]) {
            cell_of[nv] = i;
            col[i] = nv++;
        }
    }
    found = 0;
    if (nv == 0)
        goto out;
    m = calloc(t->n_lines * nv + 1, sizeof(*m));
    v = calloc(nv, sizeof(*v));
    pivot = calloc(nv, sizeof(*pivot));
    if (m == NULL || v == NULL || pivot == NULL) {
        found = -1;
        goto out;
    }
    for (size_t l = 0; l < t->n_lines; l++) {
        bool any = false;
        for (size_t j = t->start[l]; j < t->start[l + 1]; j++) {
            size_t c = col[t->cells[j]];
            if (c == SIZE_MAX)
                continue;
            m[nr * nv + c] += j == t->start[l] ? -1.0 : 1.0;
            any = true;
        }
        nr += any;
    }
    /* Reduced row echelon form; entries stay small integers or simple
     * fractions, so a tolerance of 1e-9 is ample. */
    size_t r = 0;
    for (size_t c = 0; c < nv && r < nr; c++) {
        size_t p = r;
        for (size_t i = r + 1; i < nr; i++) {
            if (fabs(m[i * nv + c]) > fabs(m[p * nv + c]))
                p = i;
        }
        if (fabs(m[p * nv + c]) < 1e-9)
            continue;
        if (p != r) {
            for (size_t k = 0; k < nv; k++) {
                double tmp = m[p * nv + k];
                m[p * nv + k] = m[r * nv + k];
                m[r * nv + k] = tmp;
            }
        }
        double piv = m[r * nv + c];
        for (size_t k = 0; k < nv; k++)
            m[r * nv + k] /= piv;
        for (size_t i = 0; i < nr; i++) {
            double f = m[i * nv + c];
            if (i == r || fabs(f) < 1e-12)
                continue;
            for (size_t k = 0; k < nv; k++)
                m[i * nv + k] -= f * m[r * nv + k];
        }
        pivot[r] = c;
        r++;
    }
    /* A hidden cell is determined iff some reduced row is its unit vector. */
    for (size_t i = 0; i < r; i++) {
        size_t nz = 0, at = 0;
        for (size_t k = 0; k < nv; k++) {
            if (fabs(m[i * nv + k]) > 1e-9) {
                nz++;
                at = k;
            }
        }
        if (nz == 1) {
            if (found == 0 && recovered != NULL)
                *recovered = cell_of[at];
            if (cells != NULL)
                cells[cell_of[at]] = true;
            found++;
        }
    }
    /* A derived count is determined iff its vector over the hidden cells
     * (shown cells are known constants) reduces to zero against the rows. */
    for (size_t i = 0; i < t->n_derived; i++) {
        const suppress_derived_t *dv = &t->derived[i];
        bool zero = true;
        if (!t->hidden[dv->owner] || dv->value == 0)
            continue;
        memset(v, 0, nv * sizeof(*v));
        for (size_t j = 0; j < dv->n_terms; j++) {
            if (col[dv->cells[j]] != SIZE_MAX)
                v[col[dv->cells[j]]] += dv->coef[j];
        }
        for (size_t k = 0; k < r; k++) {
            double f = v[pivot[k]];
            if (fabs(f) < 1e-12)
                continue;
            for (size_t q = 0; q < nv; q++)
                v[q] -= f * m[k * nv + q];
        }
        for (size_t q = 0; q < nv && zero; q++)
            zero = fabs(v[q]) < 1e-9;
        if (zero) {
            if (found == 0 && recovered != NULL)
                *recovered = dv->owner;
            if (derived != NULL)
                derived[i] = true;
            found++;
        }
    }
out:
    free(v);
    free(pivot);
    free(m);
    free(col);
    free(cell_of);
    return found;
}

int suppress_complete(suppress_table_t *t)
{
    for (;;) {
        size_t cell = 0;
        bool fixed_one = false;
        int lonely = no_lonely_cells(t);
        long found = suppress_audit(t, &cell);

        if (found < 0)
            return -1;
        if (found == 0)
            return lonely;
        /* Give the recovered cell a partner in the first line that can. */
        for (size_t l = 0; l < t->n_lines && !fixed_one; l++) {
            bool member = false;
            for (size_t j = t->start[l]; j < t->start[l + 1]; j++)
                member |= t->cells[j] == cell;
            if (member && hide_partner(t, l))
                fixed_one = true;
        }
        if (!fixed_one)
            return 1;
    }
}
