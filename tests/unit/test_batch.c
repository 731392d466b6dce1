/*
 * test_batch.c - tests of ingest/batch.c: message copies that outlive the
 * librdkafka message (payload, key, tombstones), the next offset per
 * partition, a batch growing past its first allocation (and its bytes),
 * rejection, and dropping the entries of a
 * partition lost in a rebalance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

/* A message as librdkafka hands it over (on the stack: the copy must not
 * point into it). */
static void add(batch_t *batch, report_kind_t kind, int32_t partition, int64_t offset,
                const char *payload, const char *key, bool expected)
{
    char pbuf[64], kbuf[64];
    rd_kafka_message_t rkm;
    batch_entry_t entry;

    memset(&rkm, 0, sizeof(rkm));
    memset(&entry, 0, sizeof(entry));
    rkm.partition = partition;
    rkm.offset = offset;
    if (payload) {
        strcpy(pbuf, payload);
        rkm.payload = pbuf;
        rkm.len = strlen(payload);
    }
    if (key) {
        strcpy(kbuf, key);
        rkm.key = kbuf;
        rkm.key_len = strlen(key);
    }
    assert_true(batch_msg_copy(&entry.msg, "topic", &rkm));
    memset(pbuf, 'X', sizeof(pbuf));
    memset(kbuf, 'X', sizeof(kbuf));
    entry.kind = kind;
    entry.valid = false;
    entry.error = strdup("not decoded");
    assert_int_equal(batch_add(batch, &entry, 1000 + offset), expected);
    /* The entry was taken (or freed) either way. */
    assert_null(entry.msg.data);
    assert_null(entry.error);
}

static int64_t next_offset(const batch_t *batch, report_kind_t kind, int32_t partition)
{
    for (size_t i = 0; i < batch->offsets_count; i++) {
        if (batch->offsets[i].kind == kind && batch->offsets[i].partition == partition)
            return batch->offsets[i].next_offset;
    }
    return -1;
}

static void test_copies(void **state)
{
    batch_t batch;
    (void)state;
    assert_true(batch_init(&batch, 8));
    add(&batch, REPORT_TREATMENT, 0, 5, "{\"a\":1}", "k1", true);
    add(&batch, REPORT_TREATMENT, 0, 6, NULL, "k2", true);      /* tombstone */
    add(&batch, REPORT_COMPLICATION, 0, 9, "{}", NULL, true);    /* no key */
    assert_int_equal(batch.count, 3);
    assert_int_equal(batch.first_ms, 1005);
    assert_memory_equal(batch.entries[0].msg.payload, "{\"a\":1}", 7);
    assert_int_equal(batch.entries[0].msg.len, 7);
    assert_memory_equal(batch.entries[0].msg.key, "k1", 2);
    assert_string_equal(batch.entries[0].msg.topic, "topic");
    assert_int_equal(batch.entries[0].msg.offset, 5);
    assert_null(batch.entries[1].msg.payload);
    assert_memory_equal(batch.entries[1].msg.key, "k2", 2);
    assert_null(batch.entries[2].msg.key);
    assert_int_equal(batch.entries[2].msg.key_len, 0);
    batch_free(&batch);
}

static void test_offsets(void **state)
{
    static const struct {
        report_kind_t kind;
        int32_t partition;
        int64_t offset;
    } msgs[] = {
        {REPORT_TREATMENT, 0, 10},   {REPORT_TREATMENT, 1, 3},  {REPORT_TREATMENT, 0, 11},
        {REPORT_COMPLICATION, 0, 7}, {REPORT_TREATMENT, 0, 4}, /* an older one: no effect */
        {REPORT_TREATMENT, 2, 0},
    };
    static const struct {
        report_kind_t kind;
        int32_t partition;
        int64_t next;
    } want[] = {
        {REPORT_TREATMENT, 0, 12}, {REPORT_TREATMENT, 1, 4}, {REPORT_COMPLICATION, 0, 8},
        {REPORT_TREATMENT, 2, 1},  {REPORT_COMPLICATION, 1, -1},
    };
    batch_t batch;
    (void)state;
    assert_true(batch_init(&batch, 16));
    for (size_t i = 0; i < ARRAY_LEN(msgs); i++)
        add(&batch, msgs[i].kind, msgs[i].partition, msgs[i].offset, "{}", NULL, true);
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_int_equal(next_offset(&batch, want[i].kind, want[i].partition), want[i].next);
    batch_clear(&batch);
    assert_int_equal(batch.count, 0);
    assert_int_equal(batch.offsets_count, 0);
    assert_int_equal(batch.first_ms, 0);
    batch_free(&batch);
}

static void test_full_and_reject(void **state)
{
    batch_t batch;
    (void)state;
    assert_true(batch_init(&batch, 2));
    add(&batch, REPORT_TREATMENT, 0, 1, "{}", NULL, true);
    add(&batch, REPORT_TREATMENT, 0, 2, "{}", NULL, true);
    add(&batch, REPORT_TREATMENT, 0, 3, "{\"a\":1}", "k", true); /* past cap: grows */
    assert_int_equal(batch.count, 3);
    assert_true(batch.cap >= 3);
    assert_int_equal(batch.bytes, 2 + 2 + 7 + 1);
    assert_int_equal(next_offset(&batch, REPORT_TREATMENT, 0), 4);
    batch.entries[1].valid = true;
    batch_reject(&batch, 1, "violates a check");
    assert_false(batch.entries[1].valid);
    assert_string_equal(batch.entries[1].error, "violates a check");
    batch_reject(&batch, 0, NULL);
    assert_string_equal(batch.entries[0].error, "rejected");
    batch_free(&batch);
}

static void test_drop_partition(void **state)
{
    batch_t batch;
    (void)state;
    assert_true(batch_init(&batch, 8));
    add(&batch, REPORT_TREATMENT, 0, 1, "a", NULL, true);
    add(&batch, REPORT_TREATMENT, 1, 1, "b", NULL, true);
    add(&batch, REPORT_COMPLICATION, 1, 1, "c", NULL, true);
    add(&batch, REPORT_TREATMENT, 1, 2, "d", NULL, true);
    add(&batch, REPORT_TREATMENT, 0, 2, "e", NULL, true);
    assert_int_equal(batch.bytes, 5);
    assert_int_equal(batch_drop_partition(&batch, REPORT_TREATMENT, 1), 2);
    assert_int_equal(batch.count, 3);
    assert_int_equal(batch.bytes, 3);
    assert_memory_equal(batch.entries[0].msg.payload, "a", 1);
    assert_memory_equal(batch.entries[1].msg.payload, "c", 1);
    assert_memory_equal(batch.entries[2].msg.payload, "e", 1);
    assert_int_equal(next_offset(&batch, REPORT_TREATMENT, 1), -1);
    assert_int_equal(next_offset(&batch, REPORT_COMPLICATION, 1), 2);
    assert_int_equal(next_offset(&batch, REPORT_TREATMENT, 0), 3);
    assert_int_equal(batch_drop_partition(&batch, REPORT_TREATMENT, 7), 0);
    assert_int_equal(batch_drop_partition(&batch, REPORT_TREATMENT, 0), 2);
    assert_int_equal(batch_drop_partition(&batch, REPORT_COMPLICATION, 1), 1);
    assert_int_equal(batch.count, 0);
    assert_int_equal(batch.first_ms, 0);
    batch_free(&batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_full_and_reject),
        cmocka_unit_test(test_drop_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
