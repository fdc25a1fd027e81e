/*
 * Entry points of config loading: reading the file (size-capped) and freeing the result;
 * the pipeline itself is config/loader.c.
 */
#include "config/load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/loader.h"
#include "core/errors.h"
#include "core/xalloc.h"

#define SL_CONFIG_MAX_BYTES (64u << 20) /* refuse bigger files rather than read them */

int sl_config_load_text(const char *name, const char *text, size_t len, sl_config_fmt_t fmt,
                        sl_plugin_lookup_fn plugins, sl_config_t **out, sl_diag_t *diag)
{
    return sl_loader_load(name, text, len, fmt, plugins, out, diag);
}

int sl_config_load_file(const char *path, sl_plugin_lookup_fn plugins, sl_config_t **out,
                        sl_diag_t *diag)
{
    *out = NULL;
    if (diag->file == NULL) {
        size_t n = strlen(path);
        diag->file = sl_xmalloc(n + 1);
        memcpy(diag->file, path, n + 1);
    }
    if (sl_loader_format_by_name(path) < 0) {
        sl_diag_add(diag, 0, 0, "unknown file type (accepted types: json, yaml)");
        return SL_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int err = errno;
        sl_diag_add(diag, 0, 0, "cannot read file: %s", strerror(err));
        return err == ENOENT ? SL_ENOENT : SL_EIO;
    }
    size_t cap = 65536, len = 0;
    char *buf = sl_xmalloc(cap);
    int rc = 0;
    for (;;) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                sl_diag_add(diag, 0, 0, "cannot read file: %s", strerror(errno));
                rc = SL_EIO;
            }
            break;
        }
        if (len == cap) {
            if (cap >= SL_CONFIG_MAX_BYTES) {
                sl_diag_add(diag, 0, 0, "file too large (more than %u bytes)",
                            SL_CONFIG_MAX_BYTES);
                rc = SL_E2BIG;
                break;
            }
            cap *= 2;
            buf = sl_xrealloc(buf, cap);
        }
    }
    fclose(f);
    if (rc == 0)
        rc = sl_config_load_text(path, buf, len, SL_CONFIG_FMT_AUTO, plugins, out, diag);
    free(buf);
    return rc;
}

void sl_config_free(sl_config_t *cfg)
{
    if (cfg == NULL)
        return;
    sl_arena_destroy(&cfg->arena);
    free(cfg);
}
