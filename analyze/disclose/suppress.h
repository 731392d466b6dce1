/*
 * suppress.h - small-cell suppression with complementary suppression, for
 * reports published outside the surveillance team (--suppress-below K).
 *
 * A table is a set of cells with values and linear relations between them:
 * each "line" says total = sum of children (a margin and the cells it
 * adds up). Primary suppression hides every count in 1..K-1. Hiding one
 * cell of a line is useless (subtract the others from the total), so
 * complementary suppression hides more cells until
 *   1. no line has exactly one hidden cell (repeated until it holds: the
 *      smallest positive visible cell of the line is hidden next; a zero
 *      only when the line has nothing else), and
 *   2. an audit finds no hidden cell that is a linear consequence of all
 *      the lines together (the cell's unit vector is not in the row space
 *      of the system restricted to hidden cells: Gaussian elimination). A
 *      cell the audit can recover gets a partner hidden in one of its lines
 *      and both steps run again.
 * Cells marked fixed are never newly hidden (they belong to another table,
 * or their value is public anyway, e.g. the zeros of a group with no
 * treatment); a fixed cell that is already hidden counts as unknown.
 *
 * Derived counts: a published row may show counts that are not cells but
 * differences of cells, e.g. a signal row's b = (its device's total) - a,
 * or a rate row's other_treatments = (all devices) - (this device). Each
 * derived count names its owner, the cell whose row publishes it: it is
 * shown exactly when the owner is. Primary suppression hides the owner
 * when the derived count is in 1..K-1, and while the owner is hidden the
 * audit treats a nonzero derived count like a hidden cell: no combination
 * of the lines may determine it.
 * Not protected against: bounds from non-negativity (a hidden pair summing
 * to 3 tells each is at most 3). That is the usual small-count standard:
 * no exact value below K can be derived.
 * Pure: no I/O.
 */
#ifndef NW_SUPPRESS_H
#define NW_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A derived count: value = sum of coef[i] * (cell cells[i]). */
#define SUPPRESS_DERIVED_TERMS 4
typedef struct {
    size_t owner;                          /* shown with this cell */
    int64_t value;
    size_t n_terms;
    size_t cells[SUPPRESS_DERIVED_TERMS];
    int coef[SUPPRESS_DERIVED_TERMS];
} suppress_derived_t;

typedef struct {
    size_t n_cells;
    const int64_t *value;   /* n_cells */
    bool *hidden;           /* n_cells, in: primary (and given) hiding; out: final */
    const bool *fixed;      /* n_cells, or NULL */
    size_t n_lines;
    const size_t *start;    /* n_lines + 1: line i is cells[start[i] .. start[i+1]-1] */
    const size_t *cells;    /* the first cell of each line is its total */
    size_t n_derived;       /* 0 when the table publishes no derived count */
    const suppress_derived_t *derived;
} suppress_table_t;

/* Marks hidden[i] for every 0 < value[i] < k (non-fixed cells only), and
 * the owner of every derived count in 1..k-1 (a non-fixed owner). */
void suppress_primary(suppress_table_t *t, int64_t k);

/* Complementary suppression as above. Returns 0 when every hidden cell is
 * protected, 1 when some line cannot be protected (all its other cells are
 * fixed: the caller must hide that table), -1 when out of memory. */
int suppress_complete(suppress_table_t *t) __attribute__((warn_unused_result));

/* The audit alone: how many hidden cells, and nonzero derived counts of
 * hidden owners, the lines determine exactly (0 means protected); -1 when
 * out of memory. If recovered is not NULL, the first such cell (for a
 * derived count: its owner) is stored there. */
long suppress_audit(const suppress_table_t *t, size_t *recovered)
    __attribute__((warn_unused_result));

/* The same, marking every hidden cell the lines determine in cells
 * (n_cells flags) and every determined derived count of a hidden owner in
 * derived (n_derived flags); either may be NULL. */
long suppress_audit_all(const suppress_table_t *t, size_t *recovered, bool *cells,
                        bool *derived) __attribute__((warn_unused_result));

#endif
