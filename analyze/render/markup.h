/*
 * markup.h - the small writers of the HTML report: text and attribute values
 * escaped for HTML, and numbers in data-* attributes at full precision.
 *
 * Every string that may come from the database (device types, manufacturer
 * and model names) goes through html_escape(), which escapes & < > " and ',
 * so it is safe both as element text and inside a double-quoted attribute.
 * Writers only write; the caller checks ferror() once at the end. Pure
 * apart from the FILE.
 */
#ifndef NW_MARKUP_H
#define NW_MARKUP_H

#include <stdint.h>
#include <stdio.h>

/* Writes s with &, <, >, " and ' replaced by character references; NULL
 * writes nothing. Bytes are otherwise copied as they are (UTF-8). */
void html_escape(FILE *out, const char *s);

/* Writes ` name="value"`, the value escaped. */
void html_attr(FILE *out, const char *name, const char *value);

/* Writes ` name="v"` with v as its shortest exact decimal (numfmt_double),
 * so a reader gets back the very double; nothing when v is not finite. */
void html_attr_double(FILE *out, const char *name, double v);

/* Writes ` name="n"`. */
void html_attr_count(FILE *out, const char *name, int64_t n);

#endif
