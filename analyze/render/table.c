/*
 * table.c - aligned text tables for the human-readable report (see table.h).
 */
#include "render/table.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *cells[TABLE_MAX_COLS]; /* owned */
    bool header;
} table_row_t;

struct table {
    size_t ncols;
    table_align_t align[TABLE_MAX_COLS];
    table_row_t *rows; /* owned */
    size_t nrows, cap;
};

table_t *table_new(size_t ncols)
{
    table_t *table;

    if (ncols == 0 || ncols > TABLE_MAX_COLS)
        return NULL;
    table = calloc(1, sizeof(*table));
    if (table != NULL)
        table->ncols = ncols;
    return table;
}

void table_free(table_t *table)
{
    if (table == NULL)
        return;
    for (size_t r = 0; r < table->nrows; r++) {
        for (size_t c = 0; c < table->ncols; c++)
            free(table->rows[r].cells[c]);
    }
    free(table->rows);
    free(table);
}

void table_align(table_t *table, size_t col, table_align_t align)
{
    if (col < table->ncols)
        table->align[col] = align;
}

static bool add_row(table_t *table, const char *const *cells, bool header)
{
    table_row_t *row;

    if (table->nrows == table->cap) {
        size_t cap = table->cap ? table->cap * 2 : 16;
        table_row_t *rows = realloc(table->rows, cap * sizeof(*rows));
        if (rows == NULL)
            return false;
        table->rows = rows;
        table->cap = cap;
    }
    row = &table->rows[table->nrows];
    memset(row, 0, sizeof(*row));
    row->header = header;
    for (size_t c = 0; c < table->ncols; c++) {
        row->cells[c] = strdup(cells[c] ? cells[c] : "");
        if (row->cells[c] == NULL) {
            for (size_t i = 0; i < c; i++)
                free(row->cells[i]);
            return false;
        }
    }
    table->nrows++;
    return true;
}

bool table_add_row(table_t *table, const char *const *cells)
{
    return add_row(table, cells, false);
}

bool table_add_header(table_t *table, const char *const *cells)
{
    return add_row(table, cells, true);
}

size_t table_text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80) /* not a continuation byte */
            w++;
    }
    return w;
}

static bool pad(FILE *out, size_t n, char ch)
{
    for (size_t i = 0; i < n; i++) {
        if (fputc(ch, out) == EOF)
            return false;
    }
    return true;
}

bool table_print(const table_t *table, FILE *out, const char *indent)
{
    size_t width[TABLE_MAX_COLS] = {0};
    size_t total = 0;

    for (size_t r = 0; r < table->nrows; r++) {
        for (size_t c = 0; c < table->ncols; c++) {
            size_t w = table_text_width(table->rows[r].cells[c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    for (size_t c = 0; c < table->ncols; c++)
        total += width[c] + (c > 0 ? 2 : 0);

    for (size_t r = 0; r < table->nrows; r++) {
        const table_row_t *row = &table->rows[r];
        size_t last = table->ncols;

        /* Trailing empty left-aligned cells would only print blanks. */
        while (last > 1 && row->cells[last - 1][0] == '\0')
            last--;
        if (fputs(indent, out) == EOF)
            return false;
        for (size_t c = 0; c < last; c++) {
            const char *cell = row->cells[c];
            size_t fill = width[c] - table_text_width(cell);
            bool is_last = c + 1 == last;

            if (c > 0 && !pad(out, 2, ' '))
                return false;
            if (table->align[c] == TABLE_RIGHT && !pad(out, fill, ' '))
                return false;
            if (fputs(cell, out) == EOF)
                return false;
            if (table->align[c] == TABLE_LEFT && !is_last && !pad(out, fill, ' '))
                return false;
        }
        if (fputc('\n', out) == EOF)
            return false;
        if (row->header) {
            if (fputs(indent, out) == EOF || !pad(out, total, '-') || fputc('\n', out) == EOF)
                return false;
        }
    }
    return true;
}
