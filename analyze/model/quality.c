/*
 * quality.c - the data-quality counts (see quality.h).
 */
#include "model/quality.h"

#include <stdlib.h>
#include <string.h>

static int by_count(const void *a, const void *b)
{
    const quality_reason_t *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

void quality_sort_reasons(quality_t *quality)
{
    qsort(quality->reasons, quality->n_reasons, sizeof(quality->reasons[0]), by_count);
}
