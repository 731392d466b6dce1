/*
 * props.h - the .properties file format used by needlewatch's config files.
 *
 * One "key=value" per line; blank lines and lines whose first non-blank
 * character is '#' or '!' are comments; whitespace around keys and values is
 * trimmed. There is no line continuation and no escaping: a value runs to the
 * end of its line, '=' included. Errors read "file:line: what is wrong".
 */
#ifndef NW_PROPS_H
#define NW_PROPS_H

#include <stdbool.h>
#include <stddef.h>

/* Called once per key=value. Returns false and fills errbuf to stop parsing;
 * props then prefixes the message with "file:line: ". */
typedef bool (*props_cb_t)(const char *key, const char *value, void *opaque,
                           char *errbuf, size_t errsize);

/* Parses text (NUL-terminated) named name in messages. */
bool props_parse(const char *name, const char *text, props_cb_t cb, void *opaque,
                 char *errbuf, size_t errsize) __attribute__((warn_unused_result));

/* Reads the file at path and parses it. */
bool props_load_file(const char *path, props_cb_t cb, void *opaque, char *errbuf,
                     size_t errsize) __attribute__((warn_unused_result));

/* Splits "key=value" (a -X argument) in place into *key and *value. */
bool props_split_arg(char *arg, char **key, char **value);

#endif
