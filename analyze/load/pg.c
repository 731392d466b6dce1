/*
 * pg.c - what the readers of the load step share (see pg.h).
 */
#include "load/pg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cube.h"

void load_error(char *errbuf, size_t errlen, const char *what, const char *msg)
{
    size_t o = (size_t)snprintf(errbuf, errlen, "%s: ", what);
    bool space = false;

    for (; *msg && o + 1 < errlen; msg++) {
        if (*msg == '\n' || *msg == '\t' || *msg == ' ') {
            space = true;
            continue;
        }
        if (space && o + 2 < errlen)
            errbuf[o++] = ' ';
        space = false;
        errbuf[o++] = *msg;
    }
    if (o < errlen)
        errbuf[o] = '\0';
}

PGconn *load_connect(const char *conninfo, char *errbuf, size_t errlen)
{
    /* fallback_application_name lets a conninfo choose its own name. */
    const char *const keywords[] = {"fallback_application_name", "dbname", NULL};
    const char *const values[] = {"needlewatch-analyze", conninfo ? conninfo : "", NULL};
    PGconn *conn = PQconnectdbParams(keywords, values, 1);

    if (conn == NULL) {
        snprintf(errbuf, errlen, "cannot connect to PostgreSQL: out of memory");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        load_error(errbuf, errlen, "cannot connect to PostgreSQL", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

int load_parse_int(const char *s, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

int load_parse_count(const char *s, int64_t *out)
{
    int64_t v;

    if (load_parse_int(s, &v) != 0 || v < 0)
        return -1;
    *out = v;
    return 0;
}

void load_types_array(char *buf, size_t len)
{
    size_t o = 0;

    buf[o++] = '{';
    for (int c = 1; c < CUBE_COMPLICATIONS; c++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", c > 1 ? "," : "",
                              cube_complication_name(c));
    snprintf(buf + o, len - o, "}");
}

/* Parses "{1,2,3}" into out[0..count-1]; -1 unless exactly count counts. */
int load_parse_counts(const char *s, int64_t *out, int count)
{
    char buf[32];
    int i = 0;

    if (*s++ != '{')
        return -1;
    while (i < count) {
        size_t len = strcspn(s, ",}");
        if (len == 0 || len >= sizeof(buf))
            return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (load_parse_count(buf, &out[i++]) != 0)
            return -1;
        s += len;
        if (*s == '}')
            break;
        s++;
    }
    return i == count && strcmp(s, "}") == 0 ? 0 : -1;
}
