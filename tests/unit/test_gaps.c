/*
 * test_gaps.c - gaps_classify(): which jumps in a partition's offsets are
 * deleted offsets (a gap), which are offsets still in the log that the
 * consumer does not deliver (transaction markers, aborted messages), and
 * which go backwards; and the batch that carries a gap to the database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "gaps.h"

static const struct {
    const char *what;
    int64_t expected, got, log_start;
    gaps_verdict_t verdict;
    int64_t gap_end;
} cases[] = {
    {"nothing expected yet (a partition new to the database)", -1, 500, 400, GAPS_NONE, 0},
    {"the expected offset", 10, 10, 0, GAPS_NONE, 0},
    {"the expected offset at the log start", 10, 10, 10, GAPS_NONE, 0},
    {"a transaction marker skipped, log start below", 10, 11, 0, GAPS_SKIPPED, 0},
    {"an aborted transaction skipped, log start at the expected offset", 10, 60, 10,
     GAPS_SKIPPED, 0},
    {"a jump with the log start unknown", 10, 60, -1, GAPS_SKIPPED, 0},
    {"resumed below the log start (retention while stopped)", 10, 100, 100, GAPS_LOST, 100},
    {"a log start read from a later fetch, beyond the message", 10, 100, 150, GAPS_LOST, 100},
    {"deleted, then markers or aborted messages up to the message", 10, 120, 100, GAPS_LOST,
     100},
    {"a gap of one offset", 10, 11, 11, GAPS_LOST, 11},
    {"from 0, everything deleted up to the end (EOF at 300)", 0, 300, 300, GAPS_LOST, 300},
    {"backwards: topic recreated", 500, 0, 0, GAPS_REWOUND, 0},
    {"backwards by one", 500, 499, 0, GAPS_REWOUND, 0},
};

static void test_classify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t end = -7;
        gaps_verdict_t v = gaps_classify(cases[i].expected, cases[i].got, cases[i].log_start, &end);
        if (v != cases[i].verdict)
            fail_msg("%s: verdict %d, expected %d", cases[i].what, v, cases[i].verdict);
        if (v == GAPS_LOST && end != cases[i].gap_end)
            fail_msg("%s: gap ends at %lld, expected %lld", cases[i].what, (long long)end,
                     (long long)cases[i].gap_end);
    }
}

/* A gap alone makes a batch to write: the partition's offset moves past it. */
static void test_batch_gap(void **state)
{
    batch_t batch;
    batch_gap_t gap = {REPORT_TREATMENT, 3, 10, 100, 1700000000000};
    (void)state;

    assert_true(batch_init(&batch, 8));
    assert_true(batch_is_empty(&batch));
    assert_true(batch_add_gap(&batch, &gap, 300, 42));
    assert_false(batch_is_empty(&batch));
    assert_int_equal(batch.count, 0);
    assert_int_equal(batch.gaps_count, 1);
    assert_int_equal(batch.offsets_count, 1);
    assert_int_equal(batch.offsets[0].partition, 3);
    assert_int_equal(batch.offsets[0].next_offset, 300);
    assert_int_equal(batch.first_ms, 42);
    /* Another partition's loss is its own; dropping a partition drops its gap. */
    gap.partition = 4;
    assert_true(batch_add_gap(&batch, &gap, 100, 43));
    assert_int_equal(batch.first_ms, 42);
    assert_int_equal(batch_drop_partition(&batch, REPORT_TREATMENT, 3), 0);
    assert_int_equal(batch.gaps_count, 1);
    assert_int_equal(batch.gaps[0].partition, 4);
    assert_int_equal(batch_drop_partition(&batch, REPORT_TREATMENT, 4), 0);
    assert_true(batch_is_empty(&batch));
    assert_int_equal(batch.gaps_count, 0);
    batch_free(&batch);
}

/* The batch's age counts from its first message, gap or not: an open batch
 * waits ingest.batch.max_ms from then. */
static void test_batch_first_ms(void **state)
{
    batch_t batch;
    batch_entry_t e = {0};
    batch_gap_t gap = {REPORT_COMPLICATION, 1, 5, 9, 1700000000000};
    (void)state;

    assert_true(batch_init(&batch, 8));
    e.kind = REPORT_TREATMENT;
    e.msg.topic = "treatments";
    e.msg.partition = 2;
    e.msg.offset = 41;
    e.msg.data = malloc(1);
    e.error = strdup("test");
    assert_non_null(e.msg.data);
    assert_true(batch_add(&batch, &e, 77));
    assert_int_equal(batch.first_ms, 77);
    assert_int_equal(batch.offsets[0].next_offset, 42);
    assert_true(batch_add_gap(&batch, &gap, 9, 99));
    assert_int_equal(batch.first_ms, 77);
    batch_free(&batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_batch_gap),
        cmocka_unit_test(test_batch_first_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
