/* Plugin state outside requests: per snapshot (configure) and per worker (worker_init), one
 * slot per registered plugin (see plugin.h). */
#include "plugin/plugin.h"

#include <string.h>

#include "core/worker.h"
#include "core/xalloc.h"

const sl_plugin_desc_t *sl_plugin_find(const char *name)
{
    for (size_t i = 0; sl_plugin_registry[i] != NULL; i++)
        if (strcmp(sl_plugin_registry[i]->name, name) == 0)
            return sl_plugin_registry[i];
    return NULL;
}

void sl_plugin_ref(const sl_plugin_desc_t *d, sl_plugin_ref_t *out)
{
    out->desc = d;
    out->no_consumer = d->no_consumer;
    out->parse = d->parse;
}

bool sl_plugin_lookup(const char *name, sl_plugin_ref_t *out)
{
    const sl_plugin_desc_t *d = sl_plugin_find(name);
    if (d == NULL)
        return false;
    sl_plugin_ref(d, out);
    return true;
}

size_t sl_plugin_count(void)
{
    size_t n = 0;
    while (sl_plugin_registry[n])
        n++;
    return n;
}

size_t sl_plugin_index(const sl_plugin_desc_t *desc)
{
    size_t i = 0;
    while (sl_plugin_registry[i] && sl_plugin_registry[i] != desc)
        i++;
    return i;
}

void **sl_plugin_configure_all(const sl_config_t *cfg, sl_arena_t *arena, sl_diag_t *diag)
{
    size_t n = sl_plugin_count();
    void **states = sl_arena_calloc(arena, n + 1, sizeof(void *)); /* + the spare slot */
    for (size_t i = 0; i < n; i++)
        if (sl_plugin_registry[i]->configure)
            states[i] = sl_plugin_registry[i]->configure(cfg, arena, diag);
    return states;
}

void sl_plugin_workers_init(sl_worker_t *w)
{
    size_t n = sl_plugin_count();
    w->plugin_states = sl_xcalloc(n + 1, sizeof(void *)); /* + sl_plugin_index's spare */
    for (size_t i = 0; i < n; i++)
        if (sl_plugin_registry[i]->worker_init)
            w->plugin_states[i] = sl_plugin_registry[i]->worker_init(w);
}

void sl_plugin_workers_fini(sl_worker_t *w)
{
    if (w->plugin_states == NULL)
        return;
    for (size_t i = 0; sl_plugin_registry[i]; i++)
        if (sl_plugin_registry[i]->worker_fini && w->plugin_states[i])
            sl_plugin_registry[i]->worker_fini(w, w->plugin_states[i]);
    free(w->plugin_states);
    w->plugin_states = NULL;
}

void *sl_plugin_worker_state(const sl_worker_t *w, const sl_plugin_desc_t *desc)
{
    if (w->plugin_states == NULL)
        return NULL;
    return w->plugin_states[sl_plugin_index(desc)];
}
