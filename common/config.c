/*
 * config.c - the configuration table of needlewatch's programs and its
 * sources (see config.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "props.h"

typedef enum { OPT_STR, OPT_INT, OPT_DOUBLE, OPT_LOGLEVEL, OPT_ON_GAP } opt_type_t;

/* OPT_ON_GAP's values, indexed by nw_on_gap_t. */
static const char *const on_gap_names[] = {"continue", "stop"};

typedef struct opt {
    const char *name;
    unsigned programs; /* config_program_t bits: who reads it */
    opt_type_t type;
    size_t offset;
    const char *def;
    double min, max;   /* OPT_INT, OPT_DOUBLE: the allowed range */
    bool open;         /* OPT_DOUBLE: min and max themselves excluded */
    bool secret;
    const char *help;
} opt_t;

#define OFF(field) offsetof(nw_config_t, field)
#define BOTH (CONFIG_INGEST | CONFIG_ANALYZE)
#define INGEST CONFIG_INGEST
#define ANALYZE CONFIG_ANALYZE

static const opt_t opts[] = {
    {"pg.conninfo", BOTH, OPT_STR, OFF(pg_conninfo), "", 0, 0, false, true,
     "libpq conninfo string or URI; empty = PG* environment variables and .pgpass"},
    {"topic.treatments", INGEST, OPT_STR, OFF(topic_treatments), "treatments", 0, 0, false,
     false, "topic of treatment reports"},
    {"topic.complications", INGEST, OPT_STR, OFF(topic_complications), "complications", 0, 0,
     false, false, "topic of complication reports"},
    {"ingest.batch.max_messages", INGEST, OPT_INT, OFF(batch_max_messages), "5000", 1, 1000000,
     false, false, "a batch is written when it holds this many messages..."},
    {"ingest.batch.max_ms", INGEST, OPT_INT, OFF(batch_max_ms), "500", 1, 600000, false, false,
     "...or when its first message is this old (milliseconds)"},
    {"ingest.batch.max_bytes", INGEST, OPT_INT, OFF(batch_max_bytes), "4194304", 65536,
     1 << 30, false, false, "...or when its messages reach this many bytes; while the writer "
     "stores the previous batch the open one fills up to this, then the partitions pause"},
    {"ingest.max_message_bytes", INGEST, OPT_INT, OFF(max_message_bytes), "1048576", 16,
     64 << 20, false, false, "larger messages are quarantined unread"},
    {"ingest.max_depth", INGEST, OPT_INT, OFF(max_depth), "16", 2, 1000, false, false,
     "deeper JSON nesting is quarantined before parsing"},
    {"stats.interval_ms", INGEST, OPT_INT, OFF(stats_interval_ms), "10000", 0, 86400000, false,
     false, "period of the stats log line (0 = off)"},
    {"pg.retry.max_ms", INGEST, OPT_INT, OFF(pg_retry_max_ms), "5000", 10, 600000, false, false,
     "longest wait between PostgreSQL reconnect attempts"},
    {"pg.give_up_ms", INGEST, OPT_INT, OFF(pg_give_up_ms), "60000", 0, 86400000, false, false,
     "with --exit-on-eof, exit 1 when PostgreSQL stays unreachable this long at start (0 = never)"},
    {"ingest.rollup.interval_ms", INGEST, OPT_INT, OFF(rollup_interval_ms), "200", 0, 3600000,
     false, false, "least time between two rollups of the kept counts after commits (0 = this "
     "worker runs none)"},
    {"log.level", BOTH, OPT_LOGLEVEL, OFF(log_level), "info", 0, 0, false, false,
     "error, warn, info or debug"},
    {"ingest.on_gap", INGEST, OPT_ON_GAP, OFF(on_gap), "continue", 0, 0, false, false,
     "offsets deleted from Kafka before they were stored (retention): log, record in "
     "needlewatch.kafka_gaps and continue, or stop (exit 1)"},
    {"metrics.listen", INGEST, OPT_STR, OFF(metrics_listen), "", 0, 0, false, false,
     "HOST:PORT for /metrics, /healthz, /readyz (e.g. 127.0.0.1:9187; empty = off)"},
    {"topic.signals", ANALYZE, OPT_STR, OFF(topic_signals), "signals", 0, 0, false, false,
     "topic of --publish-signals"},
    {"analyze.suppress_below", ANALYZE, OPT_INT, OFF(suppress_below), "0", 0, 1000000, false,
     false, "default of --suppress-below (0 = off)"},
    {"analyze.ears.baseline", ANALYZE, OPT_INT, OFF(ears_baseline), "7", 3, 520, false, false,
     "default of --ears-baseline"},
    {"analyze.ears.alpha", ANALYZE, OPT_DOUBLE, OFF(ears_alpha), "0.001", 0, 1, true, false,
     "default of --ears-alpha"},
    {"analyze.ears.min_sigma", ANALYZE, OPT_DOUBLE, OFF(ears_min_sigma), "0", 0, 1e308, false,
     false, "default of --ears-min-sigma"},
    {"analyze.alert.min_cases", ANALYZE, OPT_INT, OFF(alert_min_cases), "3", 1, 1000000, false,
     false, "default of --alert-min-cases"},
    {"analyze.horizons", ANALYZE, OPT_STR, OFF(horizons), "30,90", 0, 0, false, false,
     "default of --horizons: follow-up horizons of the risks, days 1..365, comma-separated"},
    {"analyze.alert.method", ANALYZE, OPT_STR, OFF(alert_method), "rate-scan", 0, 0, false,
     false, "default of --alert-method: rate-scan, ears-c2, farrington or glr"},
    {"analyze.alert.q_level", ANALYZE, OPT_DOUBLE, OFF(alert_q_level), "0.05", 0, 1, true, false,
     "default of --alert-q (rate scan: Benjamini-Hochberg level)"},
    {"analyze.alert.windows", ANALYZE, OPT_INT, OFF(alert_windows), "2", 1, 4, false, false,
     "default of --alert-windows (rate scan: windows of 1..N weeks)"},
    {"analyze.alert.history_weeks", ANALYZE, OPT_INT, OFF(alert_history_weeks), "104", 8, 520,
     false, false, "default of --alert-history (rate scan: baseline weeks at most)"},
    {"analyze.alert.report_days", ANALYZE, OPT_INT, OFF(alert_report_days), "0", 0, 365, false,
     false, "default of --report-days (0 = from the observed reporting delays)"},
    {"analyze.farrington.alpha", ANALYZE, OPT_DOUBLE, OFF(farrington_alpha), "0.001", 0, 1, true,
     false, "default of --farrington-alpha"},
    {"analyze.farrington.years", ANALYZE, OPT_INT, OFF(farrington_years), "1", 1, 10, false,
     false, "default of --farrington-years"},
    {"analyze.glr.threshold", ANALYZE, OPT_DOUBLE, OFF(glr_threshold), "5", 0, 1e6, true, false,
     "default of --glr-threshold"},
    {"analyze.glr.baseline", ANALYZE, OPT_INT, OFF(glr_baseline), "26", 4, 520, false, false,
     "default of --glr-baseline"},
};
#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

/* Defaults the worker needs from librdkafka, applied before any kafka.* key
 * so a user may still override them (the analyzer's producer sets its own,
 * in analyze/export/publish.c). Offsets live in PostgreSQL, so Kafka's
 * auto-commit and auto offset store are off. */
static const char *const kafka_defaults[][2] = {
    {"bootstrap.servers", "localhost:9092"},
    {"group.id", "needlewatch-ingest"},
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    /* Where a partition new to PostgreSQL starts (earliest or latest). The
     * consumer itself always runs with earliest: see ingest/gaps.c. */
    {"auto.offset.reset", "earliest"},
    {"enable.partition.eof", "true"},
    /* Never store a message of an aborted transaction; config_validate
     * refuses read_uncommitted. (librdkafka's default too, said here.) */
    {"isolation.level", "read_committed"},
    {"client.id", "needlewatch-ingest"},
    /* Bounded memory, without starving the worker (ingest/flow.h): the
     * worker polls without stopping and pauses its partitions itself when
     * its open batch is full, so these thresholds of librdkafka's queue
     * (all partitions together) only bound what one burst of fetches may
     * bring ahead of the decoder; when they are reached anyway, the worker
     * kicks the fetcher instead of waiting out librdkafka 2.0.2's second. */
    {"queued.min.messages", "50000"},
    {"queued.max.messages.kbytes", "4096"},
    {"fetch.max.bytes", "1048576"},
};

static const char *const secret_keys[] = {
    "kafka.sasl.password",
    "kafka.ssl.key.password",
    "kafka.ssl.keystore.password",
    "kafka.ssl.key.pem",
    "kafka.sasl.oauthbearer.client.secret",
    "pg.conninfo", /* may embed password=; dumped through config_mask_conninfo */
};

bool config_key_is_secret(const char *key)
{
    for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
        if (strcmp(key, secret_keys[i]) == 0)
            return true;
    return false;
}

static const opt_t *find_opt(const char *name)
{
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

static bool set_opt(nw_config_t *cfg, const opt_t *opt, const char *value, char *errbuf,
                    size_t errsize)
{
    void *field = (char *)cfg + opt->offset;

    switch (opt->type) {
    case OPT_STR: {
        char *copy = strdup(value);
        if (!copy) {
            snprintf(errbuf, errsize, "%s: out of memory", opt->name);
            return false;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return true;
    }
    case OPT_INT: {
        char *end;
        long v;
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno || end == value || *end != '\0' || v < (long)opt->min || v > (long)opt->max) {
            snprintf(errbuf, errsize, "%s: must be an integer %ld..%ld, got \"%.40s\"",
                     opt->name, (long)opt->min, (long)opt->max, value);
            return false;
        }
        *(int *)field = (int)v;
        return true;
    }
    case OPT_DOUBLE: {
        char *end;
        double v;
        errno = 0;
        v = strtod(value, &end);
        if (errno || end == value || *end != '\0' || !isfinite(v) ||
            (opt->open ? !(v > opt->min && v < opt->max) : !(v >= opt->min && v <= opt->max))) {
            snprintf(errbuf, errsize, "%s: must be a number %s %g and %g, got \"%.40s\"",
                     opt->name, opt->open ? "between" : "from", opt->min, opt->max, value);
            return false;
        }
        *(double *)field = v;
        return true;
    }
    case OPT_LOGLEVEL:
        if (!nw_log_parse_level(value, (nw_log_level_t *)field)) {
            snprintf(errbuf, errsize, "%s: must be error, warn, info or debug, got \"%.40s\"",
                     opt->name, value);
            return false;
        }
        return true;
    case OPT_ON_GAP:
        for (int i = 0; i < (int)(sizeof(on_gap_names) / sizeof(on_gap_names[0])); i++) {
            if (strcmp(on_gap_names[i], value) == 0) {
                *(int *)field = i;
                return true;
            }
        }
        snprintf(errbuf, errsize, "%s: must be continue or stop, got \"%.40s\"", opt->name,
                 value);
        return false;
    }
    return false;
}

static bool set_kafka(nw_config_t *cfg, const char *key, const char *value, char *errbuf,
                      size_t errsize)
{
    char kerr[256];
    nw_kv_t *grown;
    const char *prop = key + strlen("kafka.");

    if (*prop == '\0') {
        snprintf(errbuf, errsize, "%s: missing the librdkafka property name", key);
        return false;
    }
    if (rd_kafka_conf_set(cfg->kconf, prop, value, kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
        snprintf(errbuf, errsize, "%s: %s", key, kerr);
        return false;
    }
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (strcmp(cfg->kafka[i].key, prop) == 0) {
            char *v = strdup(value);
            if (!v)
                goto oom;
            free(cfg->kafka[i].value);
            cfg->kafka[i].value = v;
            return true;
        }
    }
    grown = realloc(cfg->kafka, (cfg->kafka_count + 1) * sizeof(*grown));
    if (!grown)
        goto oom;
    cfg->kafka = grown;
    cfg->kafka[cfg->kafka_count].key = strdup(prop);
    cfg->kafka[cfg->kafka_count].value = strdup(value);
    if (!cfg->kafka[cfg->kafka_count].key || !cfg->kafka[cfg->kafka_count].value) {
        free(cfg->kafka[cfg->kafka_count].key);
        free(cfg->kafka[cfg->kafka_count].value);
        goto oom;
    }
    cfg->kafka_count++;
    return true;
oom:
    snprintf(errbuf, errsize, "%s: out of memory", key);
    return false;
}

bool config_set(nw_config_t *cfg, const char *key, const char *value, char *errbuf,
                size_t errsize)
{
    const opt_t *opt;

    if (strncmp(key, "kafka.", 6) == 0)
        return set_kafka(cfg, key, value, errbuf, errsize);
    opt = find_opt(key);
    if (!opt) {
        snprintf(errbuf, errsize, "unknown key \"%.60s\" (see --help for the keys)", key);
        return false;
    }
    return set_opt(cfg, opt, value, errbuf, errsize);
}

bool config_init(nw_config_t *cfg, config_program_t program)
{
    char errbuf[256];

    memset(cfg, 0, sizeof(*cfg));
    cfg->program = program;
    cfg->kconf = rd_kafka_conf_new();
    if (!cfg->kconf)
        return false;
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (!set_opt(cfg, &opts[i], opts[i].def, errbuf, sizeof(errbuf)))
            return false;
    for (size_t i = 0; program == CONFIG_INGEST && i < sizeof(kafka_defaults) / sizeof(kafka_defaults[0]); i++) {
        char key[128];
        snprintf(key, sizeof(key), "kafka.%s", kafka_defaults[i][0]);
        if (!set_kafka(cfg, key, kafka_defaults[i][1], errbuf, sizeof(errbuf)))
            return false;
    }
    return true;
}

void config_free(nw_config_t *cfg)
{
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (opts[i].type == OPT_STR)
            free(*(char **)((char *)cfg + opts[i].offset));
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        free(cfg->kafka[i].key);
        free(cfg->kafka[i].value);
    }
    free(cfg->kafka);
    if (cfg->kconf)
        rd_kafka_conf_destroy(cfg->kconf);
    memset(cfg, 0, sizeof(*cfg));
}

typedef struct load_ctx {
    nw_config_t *cfg;
    bool has_secret;
} load_ctx_t;

static bool conninfo_has_password(const char *conninfo)
{
    PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
    bool found = false;
    if (!options)
        return strstr(conninfo, "password") != NULL;
    for (PQconninfoOption *o = options; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            found = true;
    PQconninfoFree(options);
    return found;
}

static bool load_cb(const char *key, const char *value, void *opaque, char *errbuf,
                    size_t errsize)
{
    load_ctx_t *ctx = opaque;
    if (*value && config_key_is_secret(key)) {
        if (strcmp(key, "pg.conninfo") != 0 || conninfo_has_password(value))
            ctx->has_secret = true;
    }
    return config_set(ctx->cfg, key, value, errbuf, errsize);
}

bool config_load_file(nw_config_t *cfg, const char *path, char *errbuf, size_t errsize)
{
    load_ctx_t ctx = {cfg, false};
    struct stat st;

    if (!props_load_file(path, load_cb, &ctx, errbuf, errsize))
        return false;
    if (ctx.has_secret && stat(path, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        log_warn("config",
                 "%s holds a secret and is readable by group or others (mode %04o); "
                 "chmod 600 it",
                 path, (unsigned)(st.st_mode & 07777));
    return true;
}

bool config_load_env(nw_config_t *cfg, char **envp, char *errbuf, size_t errsize)
{
    static const char prefix[] = "NEEDLEWATCH_";

    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char key[256];
        size_t n, klen;
        char detail[384];

        if (!eq || strncmp(*e, prefix, sizeof(prefix) - 1) != 0)
            continue;
        n = (size_t)(eq - *e) - (sizeof(prefix) - 1);
        if (n == 0 || n >= sizeof(key))
            continue;
        /* NEEDLEWATCH_INGEST_BATCH_MAX_MS -> ingest.batch.max_ms: try the
         * table's names first, since they contain underscores themselves. */
        for (klen = 0; klen < n; klen++)
            key[klen] = (char)tolower((unsigned char)(*e)[sizeof(prefix) - 1 + klen]);
        key[klen] = '\0';
        {
            const opt_t *match = NULL;
            for (size_t i = 0; i < OPT_COUNT && !match; i++) {
                char flat[128];
                size_t j;
                for (j = 0; opts[i].name[j] && j < sizeof(flat) - 1; j++)
                    flat[j] = opts[i].name[j] == '.' ? '_' : opts[i].name[j];
                flat[j] = '\0';
                if (strcmp(flat, key) == 0)
                    match = &opts[i];
            }
            if (match) {
                if (!set_opt(cfg, match, eq + 1, detail, sizeof(detail)))
                    goto fail;
                continue;
            }
        }
        if (strncmp(key, "kafka_", 6) == 0) {
            for (size_t j = 0; j < klen; j++)
                if (key[j] == '_')
                    key[j] = '.';
            if (!set_kafka(cfg, key, eq + 1, detail, sizeof(detail)))
                goto fail;
            continue;
        }
        snprintf(detail, sizeof(detail), "unknown key");
    fail:
        snprintf(errbuf, errsize, "environment %.*s: %s", (int)(eq - *e), *e, detail);
        return false;
    }
    return true;
}

/* Whether libpq reads value as a conninfo string or URI rather than as a
 * bare database name (libpq's own test, recognized_connection_string()). */
static bool looks_like_conninfo(const char *value)
{
    return strncmp(value, "postgresql://", 13) == 0 || strncmp(value, "postgres://", 11) == 0 ||
           strchr(value, '=') != NULL;
}

bool config_load_arg(nw_config_t *cfg, const char *arg, char *errbuf, size_t errsize)
{
    char *copy = strdup(arg), *key, *value;
    char detail[900];
    bool ok;

    if (copy == NULL) {
        snprintf(errbuf, errsize, "-X: out of memory");
        return false;
    }
    ok = props_split_arg(copy, &key, &value);
    if (!ok)
        snprintf(errbuf, errsize, "-X %s: expected key=value", arg);
    else if (!(ok = config_set(cfg, key, value, detail, sizeof(detail))))
        snprintf(errbuf, errsize, "-X %s", detail);
    free(copy);
    return ok;
}

/* Whether the n bytes at word name one of libpq's connection keywords. */
static bool is_conninfo_keyword(const char *word, size_t n)
{
    PQconninfoOption *defaults = PQconndefaults();
    bool found = false;
    if (!defaults)
        return false;
    for (PQconninfoOption *o = defaults; o->keyword && !found; o++)
        found = strlen(o->keyword) == n && strncmp(o->keyword, word, n) == 0;
    PQconninfoFree(defaults);
    return found;
}

/* Appends s[0..n) to out (which has room: the result is never longer than
 * the input plus a few "****"). */
static void append(char *out, size_t *len, const char *s, size_t n)
{
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

/* The end of the password in a key=value string, from the first byte of its
 * value, read the way libpq reads values (quotes, backslash escapes). An
 * unquoted value also takes in the words after it up to the next
 * "keyword=": a space there is most likely part of a password that should
 * have been quoted, and libpq would quote those words in its error. */
static const char *password_end(const char *v)
{
    const char *p = v;
    if (*p == '\'') {
        for (p++; *p && *p != '\''; p++)
            if (*p == '\\' && p[1])
                p++;
        return *p ? p + 1 : p; /* unterminated: to the end */
    }
    for (;;) {
        const char *word, *q;
        while (*p && !isspace((unsigned char)*p)) {
            if (*p == '\\' && p[1])
                p++;
            p++;
        }
        for (q = p; isspace((unsigned char)*q); q++)
            ;
        word = q;
        while (*q && *q != '=' && !isspace((unsigned char)*q))
            q++;
        if (!*word || is_conninfo_keyword(word, (size_t)(q - word)))
            return p;
        while (isspace((unsigned char)*q))
            q++;
        p = q; /* not a keyword: one more word of the password */
    }
}

/* conninfo with the password replaced by "****" wherever it may be written:
 * the value of password= in the key=value form, and in a URI the password
 * of the user info (before the first '@' or '/') and of a password=
 * parameter. Made to be given to libpq's parser, so that its error message
 * cannot quote a password. Returns a malloc'd string, NULL when out of
 * memory. */
static char *conninfo_without_password(const char *conninfo)
{
    size_t len = 0;
    char *out = malloc(strlen(conninfo) * 2 + 16);
    const char *p = conninfo;

    if (!out)
        return NULL;
    out[0] = '\0';
    if (strncmp(p, "postgresql://", 13) == 0 || strncmp(p, "postgres://", 11) == 0) {
        const char *auth = strstr(p, "://") + 3, *end = auth, *colon;
        while (*end && *end != '@' && *end != '/')
            end++;
        if (*end == '@' && (colon = memchr(auth, ':', (size_t)(end - auth))) != NULL) {
            append(out, &len, p, (size_t)(colon + 1 - p));
            append(out, &len, "****", 4);
            p = end;
        }
        for (const char *q = strchr(p, '?'); q; q = strchr(q + 1, '&')) {
            if (strncmp(q + 1, "password=", 9) == 0) {
                const char *v = q + 10, *amp = strchr(v, '&');
                append(out, &len, p, (size_t)(v - p));
                append(out, &len, "****", 4);
                p = amp ? amp : v + strlen(v);
                q = p - 1;
                if (!amp)
                    break;
            }
        }
        append(out, &len, p, strlen(p));
        return out;
    }
    while (*p) {
        const char *kw, *kw_end, *v;
        while (isspace((unsigned char)*p))
            append(out, &len, p++, 1);
        kw = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        kw_end = p;
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '=') { /* not key=value: leave the rest to libpq */
            append(out, &len, kw, strlen(kw));
            break;
        }
        for (p++; isspace((unsigned char)*p); p++)
            ;
        v = p;
        if (kw_end - kw == 8 && strncmp(kw, "password", 8) == 0) {
            p = password_end(v);
            append(out, &len, kw, (size_t)(v - kw));
            append(out, &len, "****", 4);
            continue;
        }
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p)) {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
        }
        append(out, &len, kw, (size_t)(p - kw));
    }
    return out;
}

/* Why libpq cannot parse conninfo, without quoting a password: libpq's own
 * message, from a copy of conninfo whose password is "****"; when that copy
 * parses, the trouble is inside the password, and that is all it says. */
static void conninfo_error(const char *conninfo, char *errbuf, size_t errsize)
{
    char *detail = NULL, *masked = conninfo_without_password(conninfo);
    PQconninfoOption *options = masked ? PQconninfoParse(masked, &detail) : NULL;

    if (options) {
        snprintf(errbuf, errsize,
                 "pg.conninfo: libpq cannot read the password (or what follows it): quote it "
                 "as password='...' with ' and \\ escaped by \\ (in a URI, %%-encode it); "
                 "the value is not shown");
    } else if (detail) {
        size_t n = strlen(detail);
        while (n && (detail[n - 1] == '\n' || detail[n - 1] == ' '))
            detail[--n] = '\0';
        snprintf(errbuf, errsize, "pg.conninfo: %s (any password shown as ****)", detail);
    } else {
        snprintf(errbuf, errsize, "pg.conninfo: not a valid libpq connection string or URI");
    }
    PQconninfoFree(options);
    PQfreemem(detail);
    free(masked);
}

bool config_validate(const nw_config_t *cfg, char *errbuf, size_t errsize)
{
    if (looks_like_conninfo(cfg->pg_conninfo)) {
        /* libpq's message quotes the part it could not parse, which may be
         * (part of) the password: conninfo_error() never passes that on. */
        PQconninfoOption *options = PQconninfoParse(cfg->pg_conninfo, NULL);
        if (!options) {
            conninfo_error(cfg->pg_conninfo, errbuf, errsize);
            return false;
        }
        PQconninfoFree(options);
    }
    if (cfg->program == CONFIG_ANALYZE) {
        if (!*cfg->topic_signals) {
            snprintf(errbuf, errsize, "topic.signals must not be empty");
            return false;
        }
        return true;
    }
    if (!*cfg->topic_treatments || !*cfg->topic_complications) {
        snprintf(errbuf, errsize, "topic.treatments and topic.complications must not be empty");
        return false;
    }
    if (strcmp(cfg->topic_treatments, cfg->topic_complications) == 0) {
        snprintf(errbuf, errsize,
                 "topic.treatments and topic.complications must differ (both \"%s\")",
                 cfg->topic_treatments);
        return false;
    }
    {
        /* A transaction aborted after its messages reached the log must
         * leave nothing in the database (docs/kafka.md). */
        char value[64];
        size_t size = sizeof(value);
        if (rd_kafka_conf_get(cfg->kconf, "isolation.level", value, &size) == RD_KAFKA_CONF_OK &&
            strcmp(value, "read_committed") != 0) {
            snprintf(errbuf, errsize,
                     "kafka.isolation.level=%s would store messages of aborted transactions; "
                     "the worker consumes read_committed only",
                     value);
            return false;
        }
    }
    return true;
}

char *config_mask_conninfo(const char *conninfo)
{
    PQconninfoOption *options;
    size_t cap = 64, len = 0;
    char *out;

    if (!*conninfo)
        return strdup("");
    options = PQconninfoParse(conninfo, NULL);
    if (!options)
        return strdup("****");
    for (PQconninfoOption *o = options; o->keyword; o++)
        if (o->val)
            cap += strlen(o->keyword) + 2 * strlen(o->val) + 8;
    out = malloc(cap);
    if (!out)
        goto out;
    out[0] = '\0';
    for (PQconninfoOption *o = options; o->keyword; o++) {
        const char *v = o->val;
        if (!v)
            continue;
        if (strcmp(o->keyword, "password") == 0)
            v = "****";
        len += (size_t)snprintf(out + len, cap - len, "%s%s='", len ? " " : "", o->keyword);
        for (; *v; v++) {
            if (*v == '\'' || *v == '\\')
                out[len++] = '\\';
            out[len++] = *v;
        }
        out[len++] = '\'';
        out[len] = '\0';
    }
out:
    PQconninfoFree(options);
    return out;
}

static void dump_value(FILE *out, const char *key, const char *value)
{
    if (strcmp(key, "pg.conninfo") == 0) {
        char *masked = config_mask_conninfo(value);
        fprintf(out, "%s=%s\n", key, masked ? masked : "****");
        free(masked);
    } else if (config_key_is_secret(key) && *value) {
        fprintf(out, "%s=****\n", key);
    } else {
        fprintf(out, "%s=%s\n", key, value);
    }
}

void config_dump(const nw_config_t *cfg, FILE *out)
{
    static const char *const level_names[] = {"error", "warn", "info", "debug"};

    fprintf(out, "# effective %s configuration (secrets masked)\n",
            cfg->program == CONFIG_ANALYZE ? "needlewatch-analyze" : "needlewatch-ingest");
    for (size_t i = 0; i < OPT_COUNT; i++) {
        const void *field = (const char *)cfg + opts[i].offset;
        char num[32];
        if (!(opts[i].programs & cfg->program))
            continue;
        switch (opts[i].type) {
        case OPT_STR:
            dump_value(out, opts[i].name, *(char *const *)field);
            break;
        case OPT_INT:
            snprintf(num, sizeof(num), "%d", *(const int *)field);
            dump_value(out, opts[i].name, num);
            break;
        case OPT_DOUBLE:
            snprintf(num, sizeof(num), "%g", *(const double *)field);
            dump_value(out, opts[i].name, num);
            break;
        case OPT_LOGLEVEL:
            dump_value(out, opts[i].name, level_names[*(const nw_log_level_t *)field]);
            break;
        case OPT_ON_GAP:
            dump_value(out, opts[i].name, on_gap_names[*(const int *)field]);
            break;
        }
    }
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        char key[300];
        snprintf(key, sizeof(key), "kafka.%s", cfg->kafka[i].key);
        dump_value(out, key, cfg->kafka[i].value);
    }
}

void config_print_keys(FILE *out, config_program_t program)
{
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (opts[i].programs & program)
            fprintf(out, "  %-28s %s (default \"%s\")\n", opts[i].name, opts[i].help,
                    opts[i].def);
    fprintf(out, "  %-28s %s\n", "kafka.<property>",
            "any librdkafka property, passed as is (e.g. kafka.bootstrap.servers)");
}
