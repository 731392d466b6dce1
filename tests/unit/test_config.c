/*
 * test_config.c - the ingest configuration: the key table, bounds, kafka.*
 * pass-through, environment mapping, file errors with line numbers, and
 * secret masking in --dump-config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static int setup(void **state)
{
    nw_config_t *cfg = calloc(1, sizeof(*cfg));
    if (!cfg || !config_init(cfg, CONFIG_INGEST))
        return -1;
    *state = cfg;
    return 0;
}

static int teardown(void **state)
{
    config_free(*state);
    free(*state);
    return 0;
}

static void test_defaults(void **state)
{
    nw_config_t *cfg = *state;
    assert_string_equal(cfg->pg_conninfo, "");
    assert_string_equal(cfg->topic_treatments, "treatments");
    assert_string_equal(cfg->topic_complications, "complications");
    assert_int_equal(cfg->batch_max_messages, 5000);
    assert_int_equal(cfg->batch_max_ms, 500);
    assert_int_equal(cfg->max_message_bytes, 1048576);
    assert_int_equal(cfg->max_depth, 16);
    assert_int_equal(cfg->log_level, NW_LOG_INFO);
    assert_int_equal(cfg->on_gap, ON_GAP_CONTINUE);
}

static const struct {
    const char *key, *value;
    bool ok;
    const char *error;
} set_cases[] = {
    {"ingest.batch.max_messages", "100", true, NULL},
    {"ingest.on_gap", "stop", true, NULL},
    {"ingest.on_gap", "continue", true, NULL},
    {"ingest.on_gap", "skip", false, "ingest.on_gap: must be continue or stop, got \"skip\""},
    {"ingest.batch.max_messages", "0", false,
     "ingest.batch.max_messages: must be an integer 1..1000000, got \"0\""},
    {"ingest.batch.max_messages", "12abc", false,
     "ingest.batch.max_messages: must be an integer 1..1000000, got \"12abc\""},
    {"ingest.batch.max_messages", "", false,
     "ingest.batch.max_messages: must be an integer 1..1000000, got \"\""},
    {"ingest.batch.max_ms", "99999999999999999999", false,
     "ingest.batch.max_ms: must be an integer 1..600000, got \"99999999999999999999\""},
    {"topic.treatments", "t2", true, NULL},
    {"log.level", "debug", true, NULL},
    {"log.level", "loud", false, "log.level: must be error, warn, info or debug, got \"loud\""},
    {"nope", "1", false, "unknown key \"nope\" (see --help for the keys)"},
    {"kafka.bootstrap.servers", "h:1", true, NULL},
    {"kafka.no.such.property", "1", false,
     "kafka.no.such.property: No such configuration property: \"no.such.property\""},
    {"kafka.", "1", false, "kafka.: missing the librdkafka property name"},
};

static void test_set_table(void **state)
{
    nw_config_t *cfg = *state;
    for (size_t i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
        char errbuf[512] = "";
        bool ok = config_set(cfg, set_cases[i].key, set_cases[i].value, errbuf, sizeof(errbuf));
        assert_int_equal(ok, set_cases[i].ok);
        if (!ok)
            assert_string_equal(errbuf, set_cases[i].error);
    }
    assert_int_equal(cfg->batch_max_messages, 100);
    assert_string_equal(cfg->topic_treatments, "t2");
    assert_int_equal(cfg->log_level, NW_LOG_DEBUG);
}

static void test_env(void **state)
{
    nw_config_t *cfg = *state;
    char errbuf[512];
    char *env[] = {"PATH=/bin", "NEEDLEWATCH_PG_CONNINFO=dbname=x",
                   "NEEDLEWATCH_INGEST_BATCH_MAX_MS=42",
                   "NEEDLEWATCH_KAFKA_BOOTSTRAP_SERVERS=b:9", NULL};
    char *bad[] = {"NEEDLEWATCH_WHATEVER=1", NULL};

    assert_true(config_load_env(cfg, env, errbuf, sizeof(errbuf)));
    assert_string_equal(cfg->pg_conninfo, "dbname=x");
    assert_int_equal(cfg->batch_max_ms, 42);
    {
        char value[64];
        size_t size = sizeof(value);
        assert_int_equal(rd_kafka_conf_get(cfg->kconf, "bootstrap.servers", value, &size),
                         RD_KAFKA_CONF_OK);
        assert_string_equal(value, "b:9");
    }
    assert_false(config_load_env(cfg, bad, errbuf, sizeof(errbuf)));
    assert_string_equal(errbuf, "environment NEEDLEWATCH_WHATEVER: unknown key");
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_file_errors(void **state)
{
    nw_config_t *cfg = *state;
    char path[] = "/tmp/nw-test-config-XXXXXX";
    char errbuf[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);

    write_file(path, "# ok\ntopic.complications=c2\n\ningest.batch.max_ms=fast\n");
    assert_false(config_load_file(cfg, path, errbuf, sizeof(errbuf)));
    {
        char expect[600];
        snprintf(expect, sizeof(expect),
                 "%s:4: ingest.batch.max_ms: must be an integer 1..600000, got \"fast\"", path);
        assert_string_equal(errbuf, expect);
    }
    write_file(path, "kafka.group.id=g7\ntopic.complications=c3\n");
    assert_true(config_load_file(cfg, path, errbuf, sizeof(errbuf)));
    assert_string_equal(cfg->topic_complications, "c3");
    unlink(path);
}

static void test_validate(void **state)
{
    nw_config_t *cfg = *state;
    char errbuf[512];
    assert_true(config_validate(cfg, errbuf, sizeof(errbuf)));
    assert_true(config_set(cfg, "topic.complications", "treatments", errbuf, sizeof(errbuf)));
    assert_false(config_validate(cfg, errbuf, sizeof(errbuf)));
    assert_true(config_set(cfg, "topic.complications", "complications", errbuf, sizeof(errbuf)));
    /* Messages of aborted transactions must never be stored. */
    assert_true(config_set(cfg, "kafka.isolation.level", "read_uncommitted", errbuf,
                           sizeof(errbuf)));
    assert_false(config_validate(cfg, errbuf, sizeof(errbuf)));
    assert_string_equal(errbuf, "kafka.isolation.level=read_uncommitted would store messages of "
                                "aborted transactions; the worker consumes read_committed only");
    assert_true(config_set(cfg, "kafka.isolation.level", "read_committed", errbuf,
                           sizeof(errbuf)));
    assert_true(config_validate(cfg, errbuf, sizeof(errbuf)));
}

/* An unparseable pg.conninfo: libpq's reason, never the password. */
static const struct {
    const char *conninfo, *says;
} conninfo_cases[] = {
    {"hots=db dbname=nw password=hunter2", "invalid connection option \"hots\""},
    {"host=db dbname nw password=hunter2", "missing \"=\" after \"dbname\""},
    {"host='db dbname=nw", "unterminated quoted string"},
    {"host=db password=hunter2 and more", "cannot read the password"},
    {"host=db password = 'hunter2", "cannot read the password"},
    {"password=hunter2\\ x host=db hots=db", "invalid connection option \"hots\""},
    {"password=hunter2 hots=db", "cannot read the password"}, /* a typo after it: safe side */
    {"postgresql://u:hunter2@db/nw?sslmode=require&foo=bar", "invalid URI query parameter: \"foo\""},
    {"postgresql://u:hunter2@[::1/nw", "postgresql://u:****@[::1/nw"},
    {"postgresql://u:%zzhunter2@db/nw", "cannot read the password"},
    {"postgresql://u@db/nw?password=%zzhunter2&sslmode=require", "cannot read the password"},
    {"postgresql://u@db/nw?password=hunter2&x=%zz", "invalid percent-encoded token: \"%zz\""},
};

static void test_conninfo_errors(void **state)
{
    nw_config_t *cfg = *state;
    char errbuf[512];
    for (size_t i = 0; i < sizeof(conninfo_cases) / sizeof(conninfo_cases[0]); i++) {
        assert_true(config_set(cfg, "pg.conninfo", conninfo_cases[i].conninfo, errbuf, 512));
        assert_false(config_validate(cfg, errbuf, sizeof(errbuf)));
        if (!strstr(errbuf, conninfo_cases[i].says) || strstr(errbuf, "hunter2"))
            fail_msg("%s\n  gives: %s\n  want: %s", conninfo_cases[i].conninfo, errbuf,
                     conninfo_cases[i].says);
    }
}

static const struct {
    const char *in, *out;
} mask_cases[] = {
    {"", ""},
    {"host=db dbname=nw password=hunter2", "password='****' dbname='nw' host='db'"},
    {"postgresql://u:s3cret@db:5433/nw?sslmode=verify-full",
     "user='u' password='****' dbname='nw' host='db' port='5433' sslmode='verify-full'"},
    {"host=db dbname=nw", "dbname='nw' host='db'"},
    {"this is = not ' valid", "****"},
};

static void test_mask(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
        char *masked = config_mask_conninfo(mask_cases[i].in);
        assert_non_null(masked);
        assert_null(strstr(masked, "hunter2"));
        assert_null(strstr(masked, "s3cret"));
        assert_string_equal(masked, mask_cases[i].out);
        free(masked);
    }
}

static void test_dump_masks_secrets(void **state)
{
    nw_config_t *cfg = *state;
    char errbuf[256], *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    assert_true(config_set(cfg, "pg.conninfo", "dbname=nw password=pgsecret", errbuf, 256));
    assert_true(config_set(cfg, "kafka.sasl.password", "kafkasecret", errbuf, 256));
    assert_true(config_set(cfg, "kafka.ssl.key.password", "keysecret", errbuf, 256));
    config_dump(cfg, out);
    fclose(out);
    assert_null(strstr(text, "pgsecret"));
    assert_null(strstr(text, "kafkasecret"));
    assert_null(strstr(text, "keysecret"));
    assert_non_null(strstr(text, "kafka.sasl.password=****\n"));
    assert_non_null(strstr(text, "pg.conninfo=password='****' dbname='nw'\n"));
    assert_non_null(strstr(text, "kafka.group.id=needlewatch-ingest\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conninfo_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_masks_secrets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
