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

/* Writes the first max characters of cell, the last of them an ellipsis
 * when cell is longer. */
static bool put_cut(FILE *out, const char *cell, size_t max)
{
    size_t w = table_text_width(cell), n = 0;
    const char *p = cell;

    if (w <= max)
        return fputs(cell, out) != EOF;
    /* max - 1 characters, then the ellipsis. */
    while (*p && n < max - 1) {
        p++;
        while (((unsigned char)*p & 0xC0) == 0x80)
            p++;
        n++;
    }
    return fwrite(cell, 1, (size_t)(p - cell), out) == (size_t)(p - cell) &&
           fputs("\xE2\x80\xA6", out) != EOF;
}

/* Prints the columns cols[0..n-1] of every row (widths as given). */
static bool print_part(const table_t *table, FILE *out, const char *indent, const size_t *cols,
                       size_t n, const size_t *width)
{
    size_t total = 0;

    for (size_t i = 0; i < n; i++)
        total += width[cols[i]] + (i > 0 ? 2 : 0);
    for (size_t r = 0; r < table->nrows; r++) {
        const table_row_t *row = &table->rows[r];
        size_t last = n;

        /* Trailing empty left-aligned cells would only print blanks. */
        while (last > 1 && row->cells[cols[last - 1]][0] == '\0')
            last--;
        if (fputs(indent, out) == EOF)
            return false;
        for (size_t i = 0; i < last; i++) {
            size_t c = cols[i];
            const char *cell = row->cells[c];
            size_t w = table_text_width(cell);
            size_t fill = w < width[c] ? width[c] - w : 0;
            bool is_last = i + 1 == last;

            if (i > 0 && !pad(out, 2, ' '))
                return false;
            if (table->align[c] == TABLE_RIGHT && !pad(out, fill, ' '))
                return false;
            if (!put_cut(out, cell, width[c]))
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

bool table_print(const table_t *table, FILE *out, const char *indent)
{
    size_t width[TABLE_MAX_COLS] = {0}, cols[TABLE_MAX_COLS];
    size_t room = TABLE_WIDTH - table_text_width(indent), total = 0;

    for (size_t r = 0; r < table->nrows; r++) {
        for (size_t c = 0; c < table->ncols; c++) {
            size_t w = table_text_width(table->rows[r].cells[c]);
            if (w > width[c])
                width[c] = w;
        }
    }
    /* A table too wide for the room: its first column takes at most half
     * the room, every other column at most what is left beside it. */
    for (size_t c = 0; c < table->ncols; c++)
        total += width[c] + (c > 0 ? 2 : 0);
    if (total > room) {
        if (width[0] > room / 2 && table->ncols > 1)
            width[0] = room / 2;
        for (size_t c = 0; c < table->ncols; c++) {
            size_t max = c == 0 ? room : room - width[0] - 2;
            if (width[c] > max)
                width[c] = max;
        }
    }
    /* Parts: the first column, then as many more as fit (at least one:
     * each fits beside the first), a blank line between parts. */
    size_t c = 1;
    bool first = true;
    do {
        size_t n = 0, used = width[0];
        cols[n++] = 0;
        while (c < table->ncols && used + 2 + width[c] <= room) {
            used += 2 + width[c];
            cols[n++] = c++;
        }
        if (!first && fputc('\n', out) == EOF)
            return false;
        if (!print_part(table, out, indent, cols, n, width))
            return false;
        first = false;
    } while (c < table->ncols);
    return true;
}
