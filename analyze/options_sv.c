/*
 * options_sv.c - the surveillance options (see options_sv.h).
 */
#include "options_sv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void options_sv_defaults(options_sv_t *sv)
{
    memset(sv, 0, sizeof(*sv));
    sv->ears_baseline = 7;
    sv->ears_alpha = 0.001;
    sv->ears_min_sigma = 0.0;
    sv->alert_min_cases = 3;
    sv->signals_topic = "signals";
}

static int parse_long(const char *opt, const char *arg, long min, long max, long *out,
                      char *errbuf, size_t errlen)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
        snprintf(errbuf, errlen, "%s: \"%s\" is not a whole number from %ld to %ld", opt, arg,
                 min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_real(const char *opt, const char *arg, double *out, char *errbuf, size_t errlen)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !isfinite(v)) {
        snprintf(errbuf, errlen, "%s: \"%s\" is not a number", opt, arg);
        return -1;
    }
    *out = v;
    return 0;
}

int options_sv_parse(options_sv_t *sv, int ch, const char *arg, char *errbuf, size_t errlen)
{
    long v;

    switch (ch) {
    case OPT_SV_SUPPRESS_BELOW:
        if (parse_long("--suppress-below", arg, 1, 1000000, &v, errbuf, errlen) != 0)
            return -1;
        sv->suppress_below = v;
        return 0;
    case OPT_SV_EARS_BASELINE:
        if (parse_long("--ears-baseline", arg, 3, 520, &v, errbuf, errlen) != 0)
            return -1;
        sv->ears_baseline = (size_t)v;
        return 0;
    case OPT_SV_EARS_ALPHA:
        if (parse_real("--ears-alpha", arg, &sv->ears_alpha, errbuf, errlen) != 0)
            return -1;
        if (!(sv->ears_alpha > 0.0 && sv->ears_alpha < 1.0)) {
            snprintf(errbuf, errlen, "--ears-alpha: %s is not between 0 and 1", arg);
            return -1;
        }
        return 0;
    case OPT_SV_EARS_MIN_SIGMA:
        if (parse_real("--ears-min-sigma", arg, &sv->ears_min_sigma, errbuf, errlen) != 0)
            return -1;
        if (sv->ears_min_sigma < 0.0) {
            snprintf(errbuf, errlen, "--ears-min-sigma: %s is negative", arg);
            return -1;
        }
        return 0;
    case OPT_SV_ALERT_MIN_CASES:
        if (parse_long("--alert-min-cases", arg, 1, 1000000, &v, errbuf, errlen) != 0)
            return -1;
        sv->alert_min_cases = v;
        return 0;
    case OPT_SV_PERSIST:
        sv->persist = true;
        return 0;
    case OPT_SV_PUBLISH:
        sv->publish = true;
        return 0;
    case OPT_SV_KAFKA_BOOTSTRAP:
        if (arg[0] == '\0') {
            snprintf(errbuf, errlen, "--kafka-bootstrap: empty");
            return -1;
        }
        sv->kafka_bootstrap = arg;
        return 0;
    case OPT_SV_SIGNALS_TOPIC:
        if (arg[0] == '\0') {
            snprintf(errbuf, errlen, "--signals-topic: empty");
            return -1;
        }
        sv->signals_topic = arg;
        return 0;
    case OPT_SV_KAFKA_PROP:
        if (strchr(arg, '=') == NULL || arg[0] == '=') {
            snprintf(errbuf, errlen, "-X: \"%s\" is not KEY=VALUE", arg);
            return -1;
        }
        if (sv->n_kafka_props == OPT_SV_MAX_KAFKA_PROPS) {
            snprintf(errbuf, errlen, "-X: more than %d properties", OPT_SV_MAX_KAFKA_PROPS);
            return -1;
        }
        sv->kafka_props[sv->n_kafka_props++] = arg;
        return 0;
    default:
        snprintf(errbuf, errlen, "internal: option code %d", ch);
        return -1;
    }
}

int options_sv_check(const options_sv_t *sv, char *errbuf, size_t errlen)
{
    bool has_bootstrap = sv->kafka_bootstrap != NULL;
    for (size_t i = 0; i < sv->n_kafka_props; i++) {
        const char *p = sv->kafka_props[i];
        if (strncmp(p, "kafka.", 6) == 0)
            p += 6;
        if (strncmp(p, "bootstrap.servers=", 18) == 0)
            has_bootstrap = true;
    }
    if (sv->publish && !has_bootstrap) {
        snprintf(errbuf, errlen, "--publish-signals needs --kafka-bootstrap (or -X bootstrap.servers=...)");
        return -1;
    }
    if (!sv->publish && (sv->kafka_bootstrap || sv->n_kafka_props)) {
        snprintf(errbuf, errlen, "--kafka-bootstrap and -X only apply with --publish-signals");
        return -1;
    }
    return 0;
}

void options_sv_usage(FILE *out)
{
    fputs("\nSignals and alerts (always computed; see docs/surveillance.md):\n"
          "  --ears-baseline N  EARS C2 reference weeks (default 7; weeks t-2-N..t-3)\n"
          "  --ears-alpha A     alarm when observed > mean + qnorm(1-A) sd (default 0.001)\n"
          "  --ears-min-sigma S floor on the reference sd (default 0)\n"
          "  --alert-min-cases N  an alarm is an alert only with N+ cases that week (default 3)\n"
          "  --suppress-below K hide every count from 1 to K-1, and enough other counts\n"
          "                     that none can be worked out from the totals\n"
          "  --persist          store this run, its signals and alerts in PostgreSQL\n"
          "                     (needlewatch.analysis_runs, signal_results, alert_results)\n"
          "  --publish-signals  produce one JSON message per signal and alert to Kafka\n"
          "  --kafka-bootstrap HOSTS  Kafka bootstrap servers for --publish-signals\n"
          "  --signals-topic T  topic for --publish-signals (default signals)\n"
          "  -X [kafka.]KEY=VALUE  librdkafka property for --publish-signals (repeatable)\n",
          out);
}
