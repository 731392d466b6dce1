/*
 * markup.c - escaping and attribute writers for the HTML report (see
 * markup.h).
 */
#include "render/markup.h"

#include <inttypes.h>

#include "render/numfmt.h"

void html_escape(FILE *out, const char *s)
{
    if (s == NULL)
        return;
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*s, out);
        }
    }
}

void html_attr(FILE *out, const char *name, const char *value)
{
    fprintf(out, " %s=\"", name);
    html_escape(out, value);
    fputc('"', out);
}

void html_attr_double(FILE *out, const char *name, double v)
{
    char buf[NUMFMT_LEN];
    if (numfmt_double(buf, sizeof(buf), v))
        fprintf(out, " %s=\"%s\"", name, buf);
}

void html_attr_count(FILE *out, const char *name, int64_t n)
{
    fprintf(out, " %s=\"%" PRId64 "\"", name, n);
}
