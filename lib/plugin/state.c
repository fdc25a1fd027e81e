/* Plugin state outside requests: per snapshot (configure) and per worker (worker_init), one
 * slot per registered plugin (see plugin.h). */
#include "plugin/plugin.h"

#include <string.h>

#include "config/snapshot.h"
#include "core/worker.h"
#include "core/xalloc.h"

const sl_plugin_desc_t *sl_plugin_find(const char *name)
{
    for (size_t i = 0; sl_plugin_registry[i] != NULL; i++)
        if (strcmp(sl_plugin_registry[i]->name, name) == 0)
            return sl_plugin_registry[i];
    return NULL;
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

bool sl_plugin_snap_configure(sl_snapshot_t *snap, sl_diag_t *diag)
{
    size_t n = sl_plugin_count();
    size_t before = diag->n + diag->dropped;
    snap->plugin_states = sl_arena_calloc(&snap->arena, n + 1, sizeof(void *));
    for (size_t i = 0; i < n; i++)
        if (sl_plugin_registry[i]->configure)
            snap->plugin_states[i] =
                sl_plugin_registry[i]->configure(snap->cfg, &snap->arena, diag);
    return diag->n + diag->dropped == before;
}

void *sl_plugin_snap_state(const sl_snapshot_t *snap, const sl_plugin_desc_t *desc)
{
    if (snap->plugin_states == NULL)
        return NULL;
    return snap->plugin_states[sl_plugin_index(desc)];
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
