/*
 * tally.c - complication reports per device type and per model (see
 * tally.h).
 */
#include "model/tally.h"

#include <stdlib.h>
#include <string.h>

static int cmp_model(const void *a, const void *b)
{
    const tally_model_t *x = a, *y = b;
    int r = strcmp(x->manufacturer, y->manufacturer);
    return r != 0 ? r : strcmp(x->model, y->model);
}

/* The pair's row, added when new; NULL when out of memory. */
static tally_model_t *find_model(tally_t *tally, const char *manufacturer, const char *model)
{
    tally_model_t *m;

    for (size_t i = 0; i < tally->n_models; i++) {
        if (strcmp(tally->models[i].manufacturer, manufacturer) == 0 &&
            strcmp(tally->models[i].model, model) == 0)
            return &tally->models[i];
    }
    if (tally->n_models == tally->cap_models) {
        size_t ncap = tally->cap_models ? tally->cap_models * 2 : 16;
        tally_model_t *grown = realloc(tally->models, ncap * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        tally->models = grown;
        tally->cap_models = ncap;
    }
    m = &tally->models[tally->n_models];
    memset(m, 0, sizeof(*m));
    m->manufacturer = strdup(manufacturer);
    m->model = strdup(model);
    tally->n_models++; /* counted first so tally_free() frees a partial pair */
    if (m->manufacturer == NULL || m->model == NULL)
        return NULL;
    return m;
}

bool tally_add(tally_t *tally, size_t device, const char *manufacturer, const char *model,
               int type, int64_t n)
{
    int64_t *pair;

    tally->devices[device][CUBE_ANY] += n;
    tally->devices[device][type] += n;
    tally->devices[CUBE_DEVICE_ALL][CUBE_ANY] += n;
    tally->devices[CUBE_DEVICE_ALL][type] += n;
    if (manufacturer == NULL || model == NULL) {
        pair = tally->no_model;
    } else {
        tally_model_t *m = find_model(tally, manufacturer, model);
        if (m == NULL)
            return false;
        pair = m->reports;
    }
    pair[CUBE_ANY] += n;
    pair[type] += n;
    return true;
}

void tally_sort(tally_t *tally)
{
    if (tally->n_models > 1)
        qsort(tally->models, tally->n_models, sizeof(*tally->models), cmp_model);
}

void tally_free(tally_t *tally)
{
    for (size_t i = 0; i < tally->n_models; i++) {
        free(tally->models[i].manufacturer);
        free(tally->models[i].model);
    }
    free(tally->models);
    memset(tally, 0, sizeof(*tally));
}
