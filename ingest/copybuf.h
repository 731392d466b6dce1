/*
 * copybuf.h - builds rows in PostgreSQL's COPY text format.
 *
 * Columns are separated by tabs and rows end with a newline; NULL is \N;
 * backslash, tab, newline and carriage return inside a value are escaped;
 * bytea goes as \\x followed by hex. The buffer grows as needed and is
 * reused between batches, so a steady worker does not allocate per row.
 */
#ifndef NW_COPYBUF_H
#define NW_COPYBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct copybuf {
    char *data;
    size_t len, cap;
    bool oom;          /* set once an allocation failed; the content is then unusable */
    bool row_started;  /* a column has been written in the current row */
} copybuf_t;

void copybuf_init(copybuf_t *cb);
void copybuf_free(copybuf_t *cb);
void copybuf_reset(copybuf_t *cb);

/* Each of these appends one column (with its separator). */
void copybuf_text(copybuf_t *cb, const char *s);          /* NULL s -> \N */
void copybuf_textn(copybuf_t *cb, const char *s, size_t n);
void copybuf_int(copybuf_t *cb, int64_t v);
void copybuf_double(copybuf_t *cb, double v);
void copybuf_bool(copybuf_t *cb, int v);                  /* -1 -> \N */
void copybuf_bytea(copybuf_t *cb, const void *p, size_t n); /* NULL p -> \N */
void copybuf_null(copybuf_t *cb);

/* Ends the current row. */
void copybuf_end_row(copybuf_t *cb);

#endif
