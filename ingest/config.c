/*
 * config.c - the ingest worker's configuration table and its sources
 * (see config.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "props.h"

typedef enum { OPT_STR, OPT_INT, OPT_LOGLEVEL, OPT_ON_GAP } opt_type_t;

typedef struct opt {
    const char *name;
    opt_type_t type;
    size_t offset;
    const char *def;
    long min, max;
    bool secret;
    const char *help;
} opt_t;

/* OPT_ON_GAP's values, indexed by nw_on_gap_t. */
static const char *const on_gap_names[] = {"continue", "stop"};

#define OFF(field) offsetof(nw_config_t, field)

static const opt_t opts[] = {
    {"pg.conninfo", OPT_STR, OFF(pg_conninfo), "", 0, 0, true,
     "libpq conninfo string or URI; empty = PG* environment variables and .pgpass"},
    {"topic.treatments", OPT_STR, OFF(topic_treatments), "treatments", 0, 0, false,
     "topic of treatment reports"},
    {"topic.complications", OPT_STR, OFF(topic_complications), "complications", 0, 0, false,
     "topic of complication reports"},
    {"ingest.batch.max_messages", OPT_INT, OFF(batch_max_messages), "5000", 1, 1000000, false,
     "a batch is written when it holds this many messages..."},
    {"ingest.batch.max_ms", OPT_INT, OFF(batch_max_ms), "500", 1, 600000, false,
     "...or when its first message is this old (milliseconds)"},
    {"ingest.max_message_bytes", OPT_INT, OFF(max_message_bytes), "1048576", 16, 64 << 20,
     false, "larger messages are quarantined unread"},
    {"ingest.max_depth", OPT_INT, OFF(max_depth), "16", 2, 1000, false,
     "deeper JSON nesting is quarantined before parsing"},
    {"stats.interval_ms", OPT_INT, OFF(stats_interval_ms), "10000", 0, 86400000, false,
     "period of the stats log line (0 = off)"},
    {"pg.retry.max_ms", OPT_INT, OFF(pg_retry_max_ms), "5000", 10, 600000, false,
     "longest wait between PostgreSQL reconnect attempts"},
    {"log.level", OPT_LOGLEVEL, OFF(log_level), "info", 0, 0, false,
     "error, warn, info or debug"},
    {"metrics.listen", OPT_STR, OFF(metrics_listen), "", 0, 0, false,
     "HOST:PORT for /metrics, /healthz, /readyz (e.g. 127.0.0.1:9187; empty = off)"},
    {"ingest.on_gap", OPT_ON_GAP, OFF(on_gap), "continue", 0, 0, false,
     "offsets deleted from Kafka before they were stored (retention): log, record in "
     "needlewatch.kafka_gaps and continue, or stop (exit 1)"},
};
#define OPT_COUNT (sizeof(opts) / sizeof(opts[0]))

/* Defaults the worker needs from librdkafka, applied before any kafka.* key
 * so a user may still override them. Offsets live in PostgreSQL, so Kafka's
 * auto-commit and auto offset store are off. */
static const char *const kafka_defaults[][2] = {
    {"bootstrap.servers", "localhost:9092"},
    {"group.id", "needlewatch-ingest"},
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    /* Where a partition new to PostgreSQL starts (earliest or latest). The
     * consumer itself always runs with earliest: see gaps.c. */
    {"auto.offset.reset", "earliest"},
    /* Never store a message of an aborted transaction; config_validate
     * refuses read_uncommitted. (librdkafka's default too, said here.) */
    {"isolation.level", "read_committed"},
    {"enable.partition.eof", "true"},
    {"client.id", "needlewatch-ingest"},
    /* Bounded memory, without starving the worker. The high-level
     * consumer stops fetching once its queue holds queued.min.messages
     * (100000 by default, some 100 MiB of RSS) or queued.max.messages.kbytes,
     * and librdkafka before 2.2 (Debian 12 ships 2.0.2) only looks again
     * after a fixed 1 s (fetch.queue.backoff.ms came in 2.2): a queue that
     * a worker drains in less than a second leaves it idle for the rest.
     * 35000 is a little more than a second of a worker's rate with the kept
     * counts; 20000 cost 20-25% of the throughput for 12 MiB less RSS
     * (bench/RESULTS.md). */
    {"queued.min.messages", "35000"},
    {"queued.max.messages.kbytes", "16384"},
    {"fetch.max.bytes", "4194304"},
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
        if (errno || end == value || *end != '\0' || v < opt->min || v > opt->max) {
            snprintf(errbuf, errsize, "%s: must be an integer %ld..%ld, got \"%.40s\"",
                     opt->name, opt->min, opt->max, value);
            return false;
        }
        *(int *)field = (int)v;
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

bool config_init(nw_config_t *cfg)
{
    char errbuf[256];

    memset(cfg, 0, sizeof(*cfg));
    cfg->kconf = rd_kafka_conf_new();
    if (!cfg->kconf)
        return false;
    for (size_t i = 0; i < OPT_COUNT; i++)
        if (!set_opt(cfg, &opts[i], opts[i].def, errbuf, sizeof(errbuf)))
            return false;
    for (size_t i = 0; i < sizeof(kafka_defaults) / sizeof(kafka_defaults[0]); i++) {
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

bool config_validate(const nw_config_t *cfg, char *errbuf, size_t errsize)
{
    if (looks_like_conninfo(cfg->pg_conninfo)) {
        char *detail = NULL;
        PQconninfoOption *options = PQconninfoParse(cfg->pg_conninfo, &detail);
        if (!options) {
            /* libpq's message quotes the part it could not parse, which may
             * be the password: say that it failed, not what it read. */
            PQfreemem(detail);
            snprintf(errbuf, errsize,
                     "pg.conninfo: not a valid libpq connection string or URI (libpq's "
                     "detail is withheld because it may quote the password)");
            return false;
        }
        PQconninfoFree(options);
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

    fprintf(out, "# effective needlewatch-ingest configuration (secrets masked)\n");
    for (size_t i = 0; i < OPT_COUNT; i++) {
        const void *field = (const char *)cfg + opts[i].offset;
        char num[32];
        switch (opts[i].type) {
        case OPT_STR:
            dump_value(out, opts[i].name, *(char *const *)field);
            break;
        case OPT_INT:
            snprintf(num, sizeof(num), "%d", *(const int *)field);
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

void config_print_keys(FILE *out)
{
    for (size_t i = 0; i < OPT_COUNT; i++)
        fprintf(out, "  %-28s %s (default \"%s\")\n", opts[i].name, opts[i].help, opts[i].def);
    fprintf(out, "  %-28s %s\n", "kafka.<property>",
            "any librdkafka property, passed as is (e.g. kafka.bootstrap.servers)");
}
