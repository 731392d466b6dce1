/*
 * props.c - .properties parsing (see props.h).
 *
 * The same callback receives keys from a file, from the environment and from
 * -X arguments, so every source goes through one setter and one validation.
 */
#include "props.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s)
{
    char *end;
    while (*s && isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

bool props_split_arg(char *arg, char **key, char **value)
{
    char *eq = strchr(arg, '=');
    if (!eq)
        return false;
    *eq = '\0';
    *key = trim(arg);
    *value = trim(eq + 1);
    return **key != '\0';
}

bool props_parse(const char *name, const char *text, props_cb_t cb, void *opaque,
                 char *errbuf, size_t errsize)
{
    bool ok = false;
    char *copy = strdup(text);
    char *line, *save = NULL;
    int lineno = 0;
    char detail[512];

    if (!copy) {
        snprintf(errbuf, errsize, "%s: out of memory", name);
        return false;
    }
    /* strsep keeps empty lines, so line numbers stay right. */
    save = copy;
    while ((line = strsep(&save, "\n")) != NULL) {
        char *key, *value;
        lineno++;
        line = trim(line);
        if (*line == '\0' || *line == '#' || *line == '!')
            continue;
        if (*line == '=' || !strchr(line, '=') || !props_split_arg(line, &key, &value)) {
            /* The line is not quoted: it may hold a secret. */
            snprintf(errbuf, errsize, "%s:%d: expected key=value", name, lineno);
            goto out;
        }
        detail[0] = '\0';
        if (!cb(key, value, opaque, detail, sizeof(detail))) {
            snprintf(errbuf, errsize, "%s:%d: %s", name, lineno, detail);
            goto out;
        }
    }
    ok = true;
out:
    free(copy);
    return ok;
}

bool props_load_file(const char *path, props_cb_t cb, void *opaque, char *errbuf,
                     size_t errsize)
{
    bool ok = false;
    FILE *fp = fopen(path, "r");
    char *text = NULL;
    long size;

    if (!fp) {
        snprintf(errbuf, errsize, "%s: %s", path, strerror(errno));
        return false;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        snprintf(errbuf, errsize, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (size > 1024 * 1024) {
        snprintf(errbuf, errsize, "%s: too large for a config file (%ld bytes)", path, size);
        goto out;
    }
    text = malloc((size_t)size + 1);
    if (!text) {
        snprintf(errbuf, errsize, "%s: out of memory", path);
        goto out;
    }
    if (fread(text, 1, (size_t)size, fp) != (size_t)size) {
        snprintf(errbuf, errsize, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    text[size] = '\0';
    if (strlen(text) != (size_t)size) {
        snprintf(errbuf, errsize, "%s: contains a NUL byte", path);
        goto out;
    }
    ok = props_parse(path, text, cb, opaque, errbuf, errsize);
out:
    free(text);
    fclose(fp);
    return ok;
}
