/*
 * loadgen.c - needlewatch-loadgen: synthetic treatment and complication
 * reports, produced to Kafka.
 *
 * For i = 1..N it makes the plan of treatment i (loadgen_plan.c: the
 * covariates from the model in loadgen_model.c, the complications drawn
 * from it, and the noise the options ask for) and produces its messages with
 * an idempotent producer, writing each one to the --dump file as it goes.
 * Nothing is kept per treatment, so memory stays flat for any N; with
 * --complications-first the plans are simply made twice (pass 1 sends the
 * complications, pass 2 the treatments), which the per-treatment PRNG
 * streams make exact. At the end it flushes, counts the delivery reports and
 * exits non-zero unless every message was delivered.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "loadgen_model.h"
#include "loadgen_plan.h"
#include "log.h"

#define LG_MAX_BURSTS 16
#define LG_MAX_X 64

typedef struct {
    const char *bootstrap;
    uint64_t n;
    uint64_t seed;
    const char *topic[2];
    const char *start_date;
    int days;
    double dup_rate, followup_rate, nullify_rate, orphan_rate, invalid_rate;
    bool complications_first;
    lg_burst_t bursts[LG_MAX_BURSTS];
    int nbursts;
    double missing_onset_rate;
    bool confound;
    const char *dump_path;
    const char *model_path;
    const char *xprops[LG_MAX_X];
    int nx;
    const char *compression;
    bool quiet;
} lg_opts_t;

/* What was produced and what came back. Delivery reports run inside
 * rd_kafka_poll()/rd_kafka_flush() on this thread, so no locking. */
typedef struct {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt[2];
    const char *topic[2];
    FILE *dump;
    const char *dump_path;
    uint64_t produced;
    uint64_t delivered;
    uint64_t failed;
    uint64_t treatments, complications, duplicates, followups, nullified, orphans, invalid;
    uint64_t since_poll;
} lg_run_t;

static volatile sig_atomic_t run = 1;

static void stop_signal(int sig)
{
    (void)sig;
    run = 0;
}

static void usage(FILE *fp)
{
    fprintf(fp,
"Usage: needlewatch-loadgen -b BOOTSTRAP [options]\n"
"\n"
"Produces N synthetic microneedling treatment reports and the complication\n"
"reports that follow them, from a seeded model (see --model-json), for demos\n"
"and tests. The same options and seed give the same messages, byte for byte,\n"
"when --start-date is given (otherwise dates end today).\n"
"\n"
"Options:\n"
"  -b, --bootstrap HOSTS      Kafka bootstrap servers (required)\n"
"  -n N                       treatments to generate (default 1000)\n"
"      --seed S               PRNG seed, an unsigned 64-bit number (default 1)\n"
"      --topic-treatments T   (default treatments)\n"
"      --topic-complications T (default complications)\n"
"      --start-date YYYY-MM-DD  first treated_on date; treated_on is uniform over\n"
"                             --days days from it (default: the --days days\n"
"                             ending today, UTC)\n"
"      --days D               (default 365)\n"
"      --dup-rate F           each valid message is, with probability F, produced\n"
"                             a second time right after itself: same key, same\n"
"                             bytes (a redelivery; it must be stored once)\n"
"      --followup-rate F      each treatment, with probability F, gets a version 2\n"
"                             that corrects one field of version 1 (skin type,\n"
"                             setting, needle depth, serum or sterile_tip); version\n"
"                             2 holds the true values. 30%% of these send version 2\n"
"                             BEFORE version 1 (the higher version must win)\n"
"      --nullify-rate F       each treatment, with probability F, is withdrawn by a\n"
"                             last version (2, or 3 after a follow-up) with the true\n"
"                             fields and \"nullified\":true; its complications are\n"
"                             still sent\n"
"      --orphan-rate F        each treatment that has complications, with\n"
"                             probability F, is never sent (none of its versions);\n"
"                             its complications are (orphans). This removes\n"
"                             treatments WITH complications, so observed rates fall\n"
"                             below the model; keep it 0 for rate checks\n"
"      --complications-first  send every complication before any treatment\n"
"      --invalid-rate F       after each valid message (not after duplicates), with\n"
"                             probability F, a malformed message on the same topic\n"
"                             with key x-SEED-I-SLOT: truncated JSON, not JSON, an\n"
"                             array, or an object breaking one rule (missing\n"
"                             report_id/treated_on/treatment_id, unknown\n"
"                             setting/type/severity, version 0 or \"one\",\n"
"                             fitzpatrick 7, a non-date, negative depth, onset 400\n"
"                             or -3, a bad or 70-character id); all must be\n"
"                             quarantined\n"
"      --burst DEV:COMP:DATE:MULT[:SETTING]  multiply p(COMP) by MULT for device\n"
"                             type DEV in the ISO week (Monday..Sunday) containing\n"
"                             DATE, in SETTING (home or clinic) or, without it, in\n"
"                             both (repeatable, up to %d)\n"
"      --missing-onset-rate F a complication report leaves onset_days out with\n"
"                             probability F (default 0.04)\n"
"      --skin-device-confounding  darker skin is treated more often with RF\n"
"                             microneedling (P of RF instead of the drawn device:\n"
"                             0, 0, 0.05, 0.15, 0.35, 0.6 for Fitzpatrick I..VI),\n"
"                             which carries most of the burns, nerve damage and fat\n"
"                             loss: pooled over device types those rise with the\n"
"                             skin type, within one they do not (no --model-json)\n"
"      --dump FILE            JSON Lines of exactly what was produced, in order:\n"
"                             {\"topic\":T,\"key\":K,\"value\":V} with V the message\n"
"                             object, or for a malformed message its raw text as a\n"
"                             JSON string. A duplicate appears twice.\n"
"      --model-json FILE      the true model: for each device_type x setting x\n"
"                             skin_type (I..VI, unknown) cell, its sampling\n"
"                             probability and the exact expected p of each\n"
"                             complication and of \"any\" = 1-prod(1-p); marginals;\n"
"                             the bursts' in-week cells; all model parameters\n"
"  -X PROP=VALUE              librdkafka property (a kafka. prefix is dropped);\n"
"                             applied last, so it overrides the defaults below\n"
"      --compression CODEC    none, gzip, snappy, lz4 (default) or zstd\n"
"      --quiet                only warnings and errors on stderr\n"
"  -h, --help\n"
"\n"
"Messages (schema_version 1). Treatments on the treatments topic, key =\n"
"report_id \"t-SEED-I\" (I = 1..N). Complications on the complications topic,\n"
"key = treatment_id, report_id \"c-SEED-I-K\", version 1, one per complication\n"
"type drawn. Optional fields are sometimes omitted; a missing \"skin\" means an\n"
"unknown skin type.\n"
"\n"
"Expected database state, from the dump alone: every object value is stored\n"
"once per (report_id, version); every string value is quarantined once; the\n"
"current report is the highest version, and none when that version has\n"
"\"nullified\":true.\n"
"\n"
"Producer defaults: enable.idempotence=true, linger.ms=50,\n"
"batch.num.messages=10000, batch.size=1000000, compression lz4.\n"
"stdout gets one summary line; the exit status is 0 only when every message\n"
"was delivered, 1 on a delivery or other failure, 2 on a usage error.\n"
"The development broker keeps ~5 MiB per partition: for a million\n"
"treatments create topics with 64 partitions or consume while producing.\n",
        LG_MAX_BURSTS);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        log_error("rdkafka", "%s: %s", fac, buf);
    else if (level == 4)
        log_warn("rdkafka", "%s: %s", fac, buf);
    else if (level <= 6)
        log_info("rdkafka", "%s: %s", fac, buf);
    else
        log_debug("rdkafka", "%s: %s", fac, buf);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkmessage, void *opaque)
{
    lg_run_t *r = opaque;
    (void)rk;

    if (rkmessage->err) {
        if (r->failed < 10)
            log_error("delivery", "%s [%" PRId32 "]: %s", rd_kafka_topic_name(rkmessage->rkt),
                      rkmessage->partition, rd_kafka_err2str(rkmessage->err));
        else if (r->failed == 10)
            log_error("delivery", "more delivery failures; only counting them now");
        r->failed++;
    } else {
        r->delivered++;
    }
}

/* Writes one dump line. A malformed message's bytes become a JSON string. */
static int dump_line(lg_run_t *r, lg_topic_t topic, const char *key, const char *payload,
                     lg_msg_kind_t kind)
{
    int w;

    if (fprintf(r->dump, "{\"topic\":\"%s\",\"key\":\"%s\",\"value\":", r->topic[topic], key) < 0)
        goto fail;
    if (kind == LG_MSG_INVALID) {
        cJSON *s = cJSON_CreateString(payload);
        char *text = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
        if (!text) {
            log_error("dump", "out of memory");
            return -1;
        }
        w = fputs(text, r->dump);
        free(text);
        if (w == EOF)
            goto fail;
    } else if (fputs(payload, r->dump) == EOF) {
        goto fail;
    }
    if (fputs("}\n", r->dump) == EOF)
        goto fail;
    return 0;
fail:
    log_error("dump", "cannot write %s: %s", r->dump_path, strerror(errno));
    return -1;
}

/* The lg_emit_fn: produce one message (waiting while the queue is full) and
 * dump it. */
static int emit_message(void *opaque, lg_topic_t topic, const char *key, const char *payload,
                        size_t len, lg_msg_kind_t kind)
{
    lg_run_t *r = opaque;
    rd_kafka_resp_err_t err;

    for (;;) {
        err = rd_kafka_producev(r->rk, RD_KAFKA_V_RKT(r->rkt[topic]),
                                RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE((void *)payload, len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        /* The local queue is full: serve delivery reports until there is
         * room. This is what bounds memory. */
        if (!run)
            return 1;
        rd_kafka_poll(r->rk, 100);
    }
    if (err) {
        log_error("produce", "%s: %s", r->topic[topic], rd_kafka_err2str(err));
        return -1;
    }
    r->produced++;
    if (kind == LG_MSG_DUPLICATE)
        r->duplicates++;
    else if (kind == LG_MSG_INVALID)
        r->invalid++;
    if (r->dump && dump_line(r, topic, key, payload, kind))
        return -1;
    if (++r->since_poll >= 1000) {
        rd_kafka_poll(r->rk, 0);
        r->since_poll = 0;
    }
    return 0;
}

static bool parse_rate(const char *name, const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0.0 && v <= 1.0)) {
        fprintf(stderr, "%s: expected a fraction between 0 and 1, got \"%s\"\n", name, s);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_u64(const char *name, const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    if (*s == '-' || !*s)
        goto bad;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        goto bad;
    *out = v;
    return true;
bad:
    fprintf(stderr, "%s: expected an unsigned number, got \"%s\"\n", name, s);
    return false;
}

static bool valid_topic_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 249)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, lg_opts_t *o)
{
    enum { O_SEED = 256, O_TT, O_TC, O_START, O_DAYS, O_DUP, O_FOLLOW, O_NULL, O_ORPHAN,
           O_CFIRST, O_INVALID, O_BURST, O_DUMP, O_MODEL, O_COMPRESSION, O_QUIET,
           O_MISSING_ONSET, O_CONFOUND };
    static const struct option longopts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"seed", required_argument, NULL, O_SEED},
        {"topic-treatments", required_argument, NULL, O_TT},
        {"topic-complications", required_argument, NULL, O_TC},
        {"start-date", required_argument, NULL, O_START},
        {"days", required_argument, NULL, O_DAYS},
        {"dup-rate", required_argument, NULL, O_DUP},
        {"followup-rate", required_argument, NULL, O_FOLLOW},
        {"nullify-rate", required_argument, NULL, O_NULL},
        {"orphan-rate", required_argument, NULL, O_ORPHAN},
        {"complications-first", no_argument, NULL, O_CFIRST},
        {"invalid-rate", required_argument, NULL, O_INVALID},
        {"burst", required_argument, NULL, O_BURST},
        {"missing-onset-rate", required_argument, NULL, O_MISSING_ONSET},
        {"skin-device-confounding", no_argument, NULL, O_CONFOUND},
        {"dump", required_argument, NULL, O_DUMP},
        {"model-json", required_argument, NULL, O_MODEL},
        {"compression", required_argument, NULL, O_COMPRESSION},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t u;
    int c;

    o->n = 1000;
    o->seed = 1;
    o->topic[LG_TOPIC_TREATMENTS] = "treatments";
    o->topic[LG_TOPIC_COMPLICATIONS] = "complications";
    o->days = 365;
    o->compression = "lz4";
    o->missing_onset_rate = 0.04;

    while ((c = getopt_long(argc, argv, "b:n:X:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o->bootstrap = optarg; break;
        case 'n':
            if (!parse_u64("-n", optarg, &o->n))
                return 2;
            break;
        case O_SEED:
            if (!parse_u64("--seed", optarg, &o->seed))
                return 2;
            break;
        case O_TT: o->topic[LG_TOPIC_TREATMENTS] = optarg; break;
        case O_TC: o->topic[LG_TOPIC_COMPLICATIONS] = optarg; break;
        case O_START: o->start_date = optarg; break;
        case O_DAYS:
            if (!parse_u64("--days", optarg, &u) || u < 1 || u > 36500) {
                fprintf(stderr, "--days: expected 1..36500\n");
                return 2;
            }
            o->days = (int)u;
            break;
        case O_DUP: if (!parse_rate("--dup-rate", optarg, &o->dup_rate)) return 2; break;
        case O_FOLLOW:
            if (!parse_rate("--followup-rate", optarg, &o->followup_rate)) return 2;
            break;
        case O_NULL:
            if (!parse_rate("--nullify-rate", optarg, &o->nullify_rate)) return 2;
            break;
        case O_ORPHAN:
            if (!parse_rate("--orphan-rate", optarg, &o->orphan_rate)) return 2;
            break;
        case O_INVALID:
            if (!parse_rate("--invalid-rate", optarg, &o->invalid_rate)) return 2;
            break;
        case O_CFIRST: o->complications_first = true; break;
        case O_MISSING_ONSET:
            if (!parse_rate("--missing-onset-rate", optarg, &o->missing_onset_rate)) return 2;
            break;
        case O_CONFOUND: o->confound = true; break;
        case O_BURST:
            if (o->nbursts == LG_MAX_BURSTS) {
                fprintf(stderr, "--burst: at most %d\n", LG_MAX_BURSTS);
                return 2;
            }
            if (!lg_burst_parse(optarg, &o->bursts[o->nbursts])) {
                fprintf(stderr, "--burst: expected DEVICE:COMPLICATION:YYYY-MM-DD:MULTIPLIER"
                                "[:home|clinic] with a device type and a complication type "
                                "of the schema, got \"%s\"\n", optarg);
                return 2;
            }
            o->nbursts++;
            break;
        case O_DUMP: o->dump_path = optarg; break;
        case O_MODEL: o->model_path = optarg; break;
        case 'X':
            if (o->nx == LG_MAX_X || !strchr(optarg, '=')) {
                fprintf(stderr, "-X: expected PROP=VALUE (at most %d)\n", LG_MAX_X);
                return 2;
            }
            o->xprops[o->nx++] = optarg;
            break;
        case O_COMPRESSION: o->compression = optarg; break;
        case O_QUIET: o->quiet = true; break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    for (int t = 0; t < 2; t++) {
        if (!valid_topic_name(o->topic[t])) {
            fprintf(stderr, "invalid topic name \"%s\"\n", o->topic[t]);
            return 2;
        }
    }
    if (o->confound && o->model_path) {
        fprintf(stderr, "--model-json does not model --skin-device-confounding\n");
        return 2;
    }
    /* Producing needs a broker; writing only the model does not. */
    if (!o->bootstrap && !(o->model_path && o->n == 0)) {
        fprintf(stderr, "-b BOOTSTRAP is required (see --help)\n");
        return 2;
    }
    return -1;
}

/* Sets one property, logging "what: error" on failure. */
static bool conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
                     const char *what)
{
    char errstr[512];

    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        log_error("config", "%s: %s", what, errstr);
        return false;
    }
    return true;
}

static rd_kafka_conf_t *make_conf(const lg_opts_t *o, lg_run_t *r)
{
    static const char *const defaults[][2] = {
        {"client.id", "needlewatch-loadgen"},
        {"enable.idempotence", "true"},
        {"linger.ms", "50"},
        {"batch.num.messages", "10000"},
        {"batch.size", "1000000"},
    };
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
        if (!conf_set(conf, defaults[i][0], defaults[i][1], "default"))
            goto fail;
    if (!conf_set(conf, "bootstrap.servers", o->bootstrap, "-b"))
        goto fail;
    if (!conf_set(conf, "compression.codec", o->compression, "--compression"))
        goto fail;
    for (int i = 0; i < o->nx; i++) {
        char buf[1024];
        const char *prop = o->xprops[i];
        char *eq;
        if (!strncmp(prop, "kafka.", 6))
            prop += 6;
        if (strlen(prop) >= sizeof(buf)) {
            log_error("config", "-X %s: too long", o->xprops[i]);
            goto fail;
        }
        strcpy(buf, prop);
        eq = strchr(buf, '=');
        *eq = '\0';
        if (!conf_set(conf, buf, eq + 1, "-X"))
            goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, r);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static bool write_model(const lg_opts_t *o)
{
    char errbuf[256];
    FILE *fp = fopen(o->model_path, "w");
    bool ok;

    if (!fp) {
        log_error("model", "cannot open %s: %s", o->model_path, strerror(errno));
        return false;
    }
    ok = lg_model_write_json(fp, o->bursts, o->nbursts, errbuf, sizeof(errbuf));
    if (!ok)
        log_error("model", "%s: %s", o->model_path, errbuf);
    if (fclose(fp) != 0 && ok) {
        log_error("model", "%s: %s", o->model_path, strerror(errno));
        ok = false;
    }
    return ok;
}

int main(int argc, char **argv)
{
    lg_opts_t o = {0};
    lg_run_t r = {0};
    lg_gen_opts_t g = {0};
    rd_kafka_conf_t *conf = NULL;
    char errstr[512];
    int rc = 1;
    int prc;
    bool interrupted = false;
    struct sigaction sa;

    nw_log_init("needlewatch-loadgen");
    if ((prc = parse_args(argc, argv, &o)) >= 0)
        return prc;
    if (o.quiet)
        nw_log_level = NW_LOG_WARN;

    g.seed = o.seed;
    g.days = o.days;
    if (o.start_date) {
        if (!lg_parse_date(o.start_date, &g.start_day)) {
            fprintf(stderr, "--start-date: expected YYYY-MM-DD, got \"%s\"\n", o.start_date);
            return 2;
        }
    } else {
        g.start_day = (int32_t)(time(NULL) / 86400) - o.days + 1;
    }
    g.dup_rate = o.dup_rate;
    g.followup_rate = o.followup_rate;
    g.nullify_rate = o.nullify_rate;
    g.orphan_rate = o.orphan_rate;
    g.invalid_rate = o.invalid_rate;
    g.bursts = o.bursts;
    g.nbursts = o.nbursts;
    g.missing_onset_rate = o.missing_onset_rate;
    g.confound = o.confound;
    for (int b = 0; b < o.nbursts; b++) {
        char monday[11];
        civil_format(o.bursts[b].week_start, monday);
        log_info("main", "burst: %s x %s x%g in the week from %s, %s",
                 catalogue_name(&catalogue_device_types, (size_t)o.bursts[b].device),
                 catalogue_name(&catalogue_complication_types, (size_t)o.bursts[b].comp),
                 o.bursts[b].multiplier, monday,
                 o.bursts[b].setting < 0 ? "home and clinic"
                                         : catalogue_name(&catalogue_settings,
                                                          (size_t)o.bursts[b].setting));
    }

    if (o.model_path && !write_model(&o))
        return 1;
    if (o.n == 0 && !o.bootstrap)
        return 0; /* only the model was asked for */

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    r.topic[0] = o.topic[0];
    r.topic[1] = o.topic[1];
    r.dump_path = o.dump_path;
    if (o.dump_path) {
        r.dump = fopen(o.dump_path, "w");
        if (!r.dump) {
            log_error("dump", "cannot open %s: %s", o.dump_path, strerror(errno));
            goto out;
        }
    }

    conf = make_conf(&o, &r);
    if (!conf)
        goto out;
    r.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!r.rk) {
        log_error("main", "cannot create the producer: %s", errstr);
        goto out;
    }
    /* rd_kafka_new() takes ownership of conf */
    conf = NULL;
    for (int t = 0; t < 2; t++) {
        r.rkt[t] = rd_kafka_topic_new(r.rk, r.topic[t], NULL);
        if (!r.rkt[t]) {
            log_error("main", "topic %s: %s", r.topic[t],
                      rd_kafka_err2str(rd_kafka_last_error()));
            goto out;
        }
    }

    /* Pass 0 sends both topics per treatment; with --complications-first,
     * pass 1 sends complications only and pass 2 treatments only. */
    for (int pass = o.complications_first ? 1 : 0; pass <= (o.complications_first ? 2 : 0);
         pass++) {
        bool send_t = pass != 1;
        bool send_c = pass != 2;
        for (uint64_t i = 1; i <= o.n && run; i++) {
            lg_plan_t plan;
            int erc;

            lg_plan_make(&plan, &g, i);
            if (send_t && !plan.orphan) {
                r.treatments++;
                r.followups += plan.followup;
                r.nullified += plan.nullify;
            }
            if (send_c) {
                r.complications += (uint64_t)plan.ncomp;
                if (plan.orphan)
                    r.orphans += (uint64_t)plan.ncomp;
            }
            erc = lg_plan_emit(&plan, &g, send_t, send_c, emit_message, &r);
            if (erc > 0)
                break; /* interrupted while waiting for queue room */
            if (erc < 0)
                goto out;
            if (i % 100000 == 0)
                log_info("main", "%" PRIu64 "/%" PRIu64 " treatments%s, %" PRIu64
                         " messages produced, %" PRIu64 " delivered",
                         i, o.n, o.complications_first ? (pass == 1 ? " (complications pass)"
                                                                    : " (treatments pass)")
                                                       : "",
                         r.produced, r.delivered);
        }
    }
    if (!run) {
        interrupted = true;
        log_warn("main", "interrupted: not producing more, flushing what was produced");
    }

    /* Wait for every delivery report. Messages that cannot be delivered
     * fail after message.timeout.ms, so this ends. */
    if (interrupted) {
        rd_kafka_flush(r.rk, 10 * 1000);
    } else {
        while (rd_kafka_outq_len(r.rk) > 0 && run)
            rd_kafka_flush(r.rk, 1000);
    }
    if (rd_kafka_outq_len(r.rk) > 0) {
        log_error("main", "%d messages were still undelivered when giving up",
                  rd_kafka_outq_len(r.rk));
        interrupted = true;
    }

    printf("treatments=%" PRIu64 " complications=%" PRIu64 " duplicates=%" PRIu64
           " followups=%" PRIu64 " nullified=%" PRIu64 " orphans=%" PRIu64
           " invalid=%" PRIu64 " messages=%" PRIu64 " delivered=%" PRIu64 " failed=%" PRIu64
           "\n",
           r.treatments, r.complications, r.duplicates, r.followups, r.nullified, r.orphans,
           r.invalid, r.produced, r.delivered, r.failed);
    fflush(stdout);

    if (r.failed > 0 || r.delivered != r.produced || interrupted) {
        log_error("main", "%" PRIu64 " of %" PRIu64 " messages were not delivered%s",
                  r.produced - r.delivered, r.produced, interrupted ? " (interrupted)" : "");
        goto out;
    }
    rc = 0;
out:
    for (int t = 0; t < 2; t++)
        if (r.rkt[t])
            rd_kafka_topic_destroy(r.rkt[t]);
    if (r.rk)
        rd_kafka_destroy(r.rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (r.dump && fclose(r.dump) != 0) {
        log_error("dump", "cannot write %s: %s", o.dump_path, strerror(errno));
        rc = 1;
    }
    return rc;
}
