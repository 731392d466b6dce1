/*
 * pg.h - what the readers of the load step share: the connection, libpq's
 * messages folded onto one line, counts parsed from PostgreSQL's text, and
 * the list of complication types the queries take as a parameter.
 */
#ifndef NW_LOAD_PG_H
#define NW_LOAD_PG_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Connects with conninfo (NULL or "": the PG* environment variables).
 * Returns a connection the caller finishes with PQfinish(), or NULL with the
 * reason in errbuf. */
PGconn *load_connect(const char *conninfo, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Writes "what: msg" with libpq's multi-line msg folded onto one line. */
void load_error(char *errbuf, size_t errlen, const char *what, const char *msg);

/* Parses a whole decimal integer: load_parse_count() accepts only counts
 * (>= 0), load_parse_int() any sign. Return 0, or -1. */
int load_parse_count(const char *s, int64_t *out) __attribute__((warn_unused_result));
int load_parse_int(const char *s, int64_t *out) __attribute__((warn_unused_result));

/* Parses PostgreSQL's text of an array of counts, "{1,2,3}", into
 * out[0..count-1]. Returns 0, or -1 unless it holds exactly count counts. */
int load_parse_counts(const char *s, int64_t *out, int count) __attribute__((warn_unused_result));

/* "{first,second,...}": the names of the complication types in the cube's order,
 * as the queries' text[] parameter (type of ordinal i at position i). */
void load_types_array(char *buf, size_t len);

#endif
