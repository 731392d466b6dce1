/*
 * prescan.h - the strict JSON pre-scan of the report decoder (report.c).
 *
 * cJSON is fast and small, but lenient in ways that matter here: it does
 * not validate UTF-8, turns "\u0000" into a string that silently ends
 * early, accepts 01, 1. and -.5, treats every byte <= 0x20 as whitespace,
 * recurses up to 1000 levels. One linear pass over the raw bytes rejects
 * all of that before cJSON sees them, so errors can name a byte offset:
 * UTF-8 (RFC 3629), control characters, escapes (no escaped NUL, no
 * unpaired surrogate), numbers (RFC 8259) and nesting depth. Structure
 * itself (balanced brackets, commas, literals) is left to cJSON, and
 * duplicate keys to report.c. Pure.
 */
#ifndef NW_PRESCAN_H
#define NW_PRESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scans len bytes at p (not NUL-terminated). Returns true when they pass;
 * else false with "message: ..." in errbuf (errbuf may be NULL when errsize
 * is 0). Sets *blank when the bytes hold only JSON whitespace. */
bool prescan_json(const unsigned char *p, size_t len, int max_depth, bool *blank, char *errbuf,
                  size_t errsize) __attribute__((warn_unused_result));

/* Decodes one UTF-8 sequence of s (at most n bytes) into *cp and returns its
 * length, or 0 if it is not valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence). */
size_t prescan_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* JSON's digits and whitespace (RFC 8259: space, tab, LF, CR only). */
bool prescan_is_digit(unsigned char ch);
bool prescan_is_space(unsigned char ch);

#endif
