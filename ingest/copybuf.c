/*
 * copybuf.c - COPY text format rows (see copybuf.h).
 */
#include "copybuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void copybuf_init(copybuf_t *cb)
{
    memset(cb, 0, sizeof(*cb));
}

void copybuf_free(copybuf_t *cb)
{
    free(cb->data);
    memset(cb, 0, sizeof(*cb));
}

void copybuf_reset(copybuf_t *cb)
{
    cb->len = 0;
    cb->oom = false;
    cb->row_started = false;
}

static bool reserve(copybuf_t *cb, size_t extra)
{
    size_t need = cb->len + extra, cap;
    char *grown;

    if (cb->oom)
        return false;
    if (need <= cb->cap)
        return true;
    cap = cb->cap ? cb->cap : 65536;
    while (cap < need)
        cap *= 2;
    grown = realloc(cb->data, cap);
    if (!grown) {
        cb->oom = true;
        return false;
    }
    cb->data = grown;
    cb->cap = cap;
    return true;
}

static void sep(copybuf_t *cb)
{
    if (cb->row_started && reserve(cb, 1))
        cb->data[cb->len++] = '\t';
    cb->row_started = true;
}

static void raw(copybuf_t *cb, const char *s, size_t n)
{
    if (reserve(cb, n)) {
        memcpy(cb->data + cb->len, s, n);
        cb->len += n;
    }
}

void copybuf_null(copybuf_t *cb)
{
    sep(cb);
    raw(cb, "\\N", 2);
}

void copybuf_textn(copybuf_t *cb, const char *s, size_t n)
{
    char *out;

    if (!s) {
        copybuf_null(cb);
        return;
    }
    sep(cb);
    if (!reserve(cb, 2 * n))
        return;
    out = cb->data + cb->len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '\\': *out++ = '\\'; *out++ = '\\'; break;
        case '\t': *out++ = '\\'; *out++ = 't'; break;
        case '\n': *out++ = '\\'; *out++ = 'n'; break;
        case '\r': *out++ = '\\'; *out++ = 'r'; break;
        default: *out++ = c;
        }
    }
    cb->len = (size_t)(out - cb->data);
}

void copybuf_text(copybuf_t *cb, const char *s)
{
    copybuf_textn(cb, s, s ? strlen(s) : 0);
}

void copybuf_int(copybuf_t *cb, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRId64, v);
    sep(cb);
    raw(cb, num, (size_t)n);
}

void copybuf_double(copybuf_t *cb, double v)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "%.17g", v);
    sep(cb);
    raw(cb, num, (size_t)n);
}

void copybuf_bool(copybuf_t *cb, int v)
{
    if (v < 0) {
        copybuf_null(cb);
        return;
    }
    sep(cb);
    raw(cb, v ? "t" : "f", 1);
}

void copybuf_bytea(copybuf_t *cb, const void *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = p;
    char *out;

    if (!p) {
        copybuf_null(cb);
        return;
    }
    sep(cb);
    /* "\\x" in COPY text is the bytea hex prefix \x after COPY's unescaping. */
    if (!reserve(cb, 3 + 2 * n))
        return;
    out = cb->data + cb->len;
    *out++ = '\\';
    *out++ = '\\';
    *out++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *out++ = hex[b[i] >> 4];
        *out++ = hex[b[i] & 15];
    }
    cb->len = (size_t)(out - cb->data);
}

void copybuf_end_row(copybuf_t *cb)
{
    if (reserve(cb, 1))
        cb->data[cb->len++] = '\n';
    cb->row_started = false;
}
