/*
 * csv.c - the rate rows of the findings as CSV (see render.h).
 *
 * One header line, then one line per rates row, in the JSON's order and with
 * the JSON's field names; numbers at full precision (numfmt_double), text
 * quoted as RFC 4180 wants when it holds a comma, quote or line break.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "render/numfmt.h"
#include "render/render.h"

static void put_text(FILE *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void put_double(FILE *out, double v)
{
    char buf[NUMFMT_LEN];
    if (numfmt_double(buf, sizeof(buf), v))
        fputs(buf, out);
    /* an undefined number is an empty field */
}

int render_csv(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
{
    const rates_t *rates = findings->rates;

    fputs("device_type,setting,skin_type,complication,treatments,cases,rate,ci_low,ci_high\n", out);
    for (size_t i = 0; i < rates->n_rates; i++) {
        const rate_t *r = &rates->rates[i];
        put_text(out, cube_device_name(rates->cube, r->device));
        fputc(',', out);
        put_text(out, cube_setting_name(r->setting));
        fputc(',', out);
        put_text(out, cube_skin_name(r->skin));
        fputc(',', out);
        put_text(out, cube_complication_name(r->complication));
        if (r->suppressed) { /* --suppress-below: empty fields */
            fputs(",,,,,\n", out);
            continue;
        }
        fprintf(out, ",%" PRId64 ",%" PRId64 ",", r->treatments, r->cases);
        put_double(out, r->rate);
        fputc(',', out);
        put_double(out, r->ci_low);
        fputc(',', out);
        put_double(out, r->ci_high);
        fputc('\n', out);
    }
    if (ferror(out)) {
        snprintf(errbuf, errlen, "write error: %s", strerror(errno));
        return -1;
    }
    return 0;
}
