/*
 * prescan.c - the strict JSON pre-scan of a raw report message (see
 * prescan.h): the one place that reads the bytes as they came from Kafka.
 */
#include "prescan.h"

#include <stdarg.h>
#include <stdio.h>

/* Where an error goes. */
typedef struct {
    char *err;
    size_t errsize;
} err_t;

/* Formats the error and returns false, so checks read "return fail(...)". */
static bool fail(err_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(err_t *c, const char *fmt, ...)
{
    if (c->err != NULL && c->errsize > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errsize, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Decodes one UTF-8 sequence of s (at most n bytes) into *cp and returns its
 * length, or 0 if it is not valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence). */
size_t prescan_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b0 = s[0];
    unsigned char lo = 0x80, hi = 0xBF;

    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    if (b0 < 0xC2)                     /* continuation byte, or overlong C0/C1 */
        return 0;
    if (b0 < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(b0 & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b0 < 0xF0) {
        if (b0 == 0xE0)
            lo = 0xA0;                 /* overlong below U+0800 */
        else if (b0 == 0xED)
            hi = 0x9F;                 /* U+D800..U+DFFF */
        if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(b0 & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (b0 < 0xF5) {
        if (b0 == 0xF0)
            lo = 0x90;                 /* overlong below U+10000 */
        else if (b0 == 0xF4)
            hi = 0x8F;                 /* above U+10FFFF */
        if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

static int hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape at p; -1 if they are not hex. */
static long hex4(const unsigned char *p)
{
    long v = 0;

    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

bool prescan_is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

bool prescan_is_space(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Length of the RFC 8259 number at p (at most n bytes), or 0 if there is
 * none. The byte after it must end the token (checked by the caller). */
static size_t number_len(const unsigned char *p, size_t n)
{
    size_t i = 0, start;

    if (i < n && p[i] == '-')
        i++;
    if (i >= n || !prescan_is_digit(p[i]))
        return 0;
    if (p[i] == '0') {
        i++;
    } else {
        while (i < n && prescan_is_digit(p[i]))
            i++;
    }
    if (i < n && p[i] == '.') {
        start = ++i;
        while (i < n && prescan_is_digit(p[i]))
            i++;
        if (i == start)
            return 0;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        start = i;
        while (i < n && prescan_is_digit(p[i]))
            i++;
        if (i == start)
            return 0;
    }
    return i;
}

bool prescan_json(const unsigned char *p, size_t len, int max_depth, bool *blank, char *errbuf,
                  size_t errsize)
{
    err_t e = {errbuf, errsize};
    err_t *c = &e;

    size_t i = 0;
    int depth = 0;
    bool in_string = false;

    *blank = true;
    while (i < len) {
        unsigned char ch = p[i];
        uint32_t cp;

        if (ch >= 0x80) {
            size_t n = prescan_utf8_decode(p + i, len - i, &cp);
            if (n == 0)
                return fail(c, "message: invalid UTF-8 at byte %zu", i);
            *blank = false;
            i += n;
            continue;
        }
        if (in_string) {
            if (ch == '"') {
                in_string = false;
                i++;
            } else if (ch == '\\') {
                if (i + 1 >= len)
                    break;                          /* truncated: cJSON reports it */
                switch (p[i + 1]) {
                case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                    i += 2;
                    break;
                case 'u': {
                    long u;
                    if (i + 6 > len)
                        return fail(c, "message: not valid JSON (truncated escape at byte %zu)", i);
                    u = hex4(p + i + 2);
                    if (u < 0)
                        return fail(c, "message: not valid JSON (bad escape at byte %zu)", i);
                    if (u == 0)
                        return fail(c, "message: escaped NUL (U+0000) in a string at byte %zu", i);
                    if (u >= 0xDC00 && u <= 0xDFFF)
                        return fail(c, "message: unpaired surrogate escape U+%04lX at byte %zu", u, i);
                    if (u >= 0xD800 && u <= 0xDBFF) {
                        long low = -1;
                        if (i + 12 <= len && p[i + 6] == '\\' && p[i + 7] == 'u')
                            low = hex4(p + i + 8);
                        if (low < 0xDC00 || low > 0xDFFF)
                            return fail(c, "message: unpaired surrogate escape U+%04lX at byte %zu", u, i);
                        i += 12;
                    } else {
                        i += 6;
                    }
                    break;
                }
                default:
                    return fail(c, "message: not valid JSON (bad escape at byte %zu)", i);
                }
            } else if (ch < 0x20) {
                return fail(c, "message: not valid JSON (unescaped control character 0x%02X in a string at byte %zu)",
                            ch, i);
            } else {
                i++;
            }
            continue;
        }
        if (prescan_is_space(ch)) {
            i++;
            continue;
        }
        *blank = false;
        if (ch < 0x20)
            return fail(c, "message: not valid JSON (control character 0x%02X at byte %zu)", ch, i);
        switch (ch) {
        case '"':
            in_string = true;
            i++;
            break;
        case '{': case '[':
            if (++depth > max_depth)
                return fail(c, "message: nesting deeper than %d at byte %zu", max_depth, i);
            i++;
            break;
        case '}': case ']':
            if (depth > 0)
                depth--;
            i++;
            break;
        case '-': case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9': {
            size_t n = number_len(p + i, len - i);
            if (n == 0 || (i + n < len && !prescan_is_space(p[i + n]) && p[i + n] != ',' &&
                           p[i + n] != '}' && p[i + n] != ']'))
                return fail(c, "message: not valid JSON (bad number at byte %zu)", i);
            i += n;
            break;
        }
        default:
            i++;
            break;
        }
    }
    return true;
}

