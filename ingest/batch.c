/*
 * batch.c - the uncommitted messages of a worker (see batch.h).
 */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

bool batch_init(batch_t *batch, size_t cap)
{
    memset(batch, 0, sizeof(*batch));
    if (cap == 0)
        cap = 1;
    batch->entries = calloc(cap, sizeof(*batch->entries));
    batch->offsets_cap = 64;
    batch->offsets = calloc(batch->offsets_cap, sizeof(*batch->offsets));
    if (!batch->entries || !batch->offsets) {
        batch_free(batch);
        return false;
    }
    batch->cap = cap;
    return true;
}

bool batch_msg_copy(batch_msg_t *msg, const char *topic, const rd_kafka_message_t *rkm)
{
    size_t len = rkm->payload ? rkm->len : 0, key_len = rkm->key ? rkm->key_len : 0;

    memset(msg, 0, sizeof(*msg));
    msg->data = malloc(len + key_len + 1);
    if (!msg->data)
        return false;
    msg->topic = topic;
    msg->partition = rkm->partition;
    msg->offset = rkm->offset;
    if (len)
        memcpy(msg->data, rkm->payload, len);
    if (key_len)
        memcpy(msg->data + len, rkm->key, key_len);
    msg->payload = rkm->payload ? msg->data : NULL;
    msg->len = len;
    msg->key = rkm->key ? msg->data + len : NULL;
    msg->key_len = key_len;
    return true;
}

static void entry_clear(batch_entry_t *e)
{
    free(e->msg.data);
    report_clear(&e->report);
    free(e->error);
    memset(e, 0, sizeof(*e));
}

void batch_clear(batch_t *batch)
{
    for (size_t i = 0; i < batch->count; i++)
        entry_clear(&batch->entries[i]);
    batch->count = 0;
    batch->bytes = 0;
    batch->offsets_count = 0;
    batch->gaps_count = 0;
    batch->first_ms = 0;
}

void batch_free(batch_t *batch)
{
    batch_clear(batch);
    free(batch->entries);
    free(batch->offsets);
    free(batch->gaps);
    memset(batch, 0, sizeof(*batch));
}

static bool note_offset(batch_t *batch, report_kind_t kind, int32_t partition, int64_t offset)
{
    for (size_t i = 0; i < batch->offsets_count; i++) {
        batch_offset_t *o = &batch->offsets[i];
        if (o->kind == kind && o->partition == partition) {
            if (offset + 1 > o->next_offset)
                o->next_offset = offset + 1;
            return true;
        }
    }
    if (batch->offsets_count == batch->offsets_cap) {
        size_t cap = batch->offsets_cap * 2;
        batch_offset_t *grown = realloc(batch->offsets, cap * sizeof(*grown));
        if (!grown)
            return false;
        batch->offsets = grown;
        batch->offsets_cap = cap;
    }
    batch->offsets[batch->offsets_count++] = (batch_offset_t){kind, partition, offset + 1};
    return true;
}

bool batch_add(batch_t *batch, batch_entry_t *entry, int64_t now_ms)
{
    bool was_empty = batch_is_empty(batch);

    if (batch->count == batch->cap) {
        size_t cap = batch->cap * 2;
        batch_entry_t *entries = realloc(batch->entries, cap * sizeof(*entries));
        if (!entries) {
            entry_clear(entry);
            return false;
        }
        memset(entries + batch->cap, 0, (cap - batch->cap) * sizeof(*entries));
        batch->entries = entries;
        batch->cap = cap;
    }
    if (!note_offset(batch, entry->kind, entry->msg.partition, entry->msg.offset)) {
        entry_clear(entry);
        return false;
    }
    if (was_empty)
        batch->first_ms = now_ms;
    batch->bytes += entry->msg.len + entry->msg.key_len;
    batch->entries[batch->count++] = *entry;
    memset(entry, 0, sizeof(*entry));
    return true;
}

bool batch_is_empty(const batch_t *batch)
{
    return batch->count == 0 && batch->offsets_count == 0;
}

bool batch_add_gap(batch_t *batch, const batch_gap_t *gap, int64_t next_offset, int64_t now_ms)
{
    bool was_empty = batch_is_empty(batch);

    if (batch->gaps_count == batch->gaps_cap) {
        size_t cap = batch->gaps_cap ? batch->gaps_cap * 2 : 4;
        batch_gap_t *grown = realloc(batch->gaps, cap * sizeof(*grown));
        if (!grown)
            return false;
        batch->gaps = grown;
        batch->gaps_cap = cap;
    }
    if (!note_offset(batch, gap->kind, gap->partition, next_offset - 1))
        return false;
    batch->gaps[batch->gaps_count++] = *gap;
    if (was_empty)
        batch->first_ms = now_ms;
    return true;
}

void batch_reject(batch_t *batch, size_t i, const char *error)
{
    batch_entry_t *e = &batch->entries[i];
    report_clear(&e->report);
    free(e->error);
    e->error = strdup(error ? error : "rejected");
    e->valid = false;
}

size_t batch_drop_partition(batch_t *batch, report_kind_t kind, int32_t partition)
{
    size_t kept = 0, dropped = 0;

    for (size_t i = 0; i < batch->count; i++) {
        batch_entry_t *e = &batch->entries[i];
        if (e->kind == kind && e->msg.partition == partition) {
            batch->bytes -= e->msg.len + e->msg.key_len;
            entry_clear(e);
            dropped++;
        } else {
            if (kept != i) {
                batch->entries[kept] = *e;
                memset(e, 0, sizeof(*e));
            }
            kept++;
        }
    }
    batch->count = kept;
    for (size_t i = 0; i < batch->offsets_count; i++) {
        if (batch->offsets[i].kind == kind && batch->offsets[i].partition == partition) {
            batch->offsets[i] = batch->offsets[--batch->offsets_count];
            break;
        }
    }
    for (size_t i = batch->gaps_count; i-- > 0;)
        if (batch->gaps[i].kind == kind && batch->gaps[i].partition == partition)
            batch->gaps[i] = batch->gaps[--batch->gaps_count];
    if (batch_is_empty(batch))
        batch->first_ms = 0;
    return dropped;
}
