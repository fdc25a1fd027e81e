/*
 * sluice entry point: argv and environment -> options, the `check` subcommand, then the
 * server. Nothing else lives here.
 */
#include <stdio.h>
#include <string.h>

#include "config/diag.h"
#include "config/load.h"

static int cmd_check(const char *path)
{
    sl_diag_t diag;
    sl_diag_init(&diag, path);
    sl_config_t *cfg = NULL;
    int rc = sl_config_load_file(path, &cfg, &diag);
    if (rc != 0) {
        sl_diag_print(&diag, stderr);
        sl_diag_free(&diag);
        return 1;
    }
    printf("%s: ok (%zu services, %zu routes, %zu upstreams, %zu targets, %zu consumers, "
           "%zu plugins)\n",
           path, cfg->n_services, cfg->n_routes, cfg->n_upstreams, cfg->n_targets,
           cfg->n_consumers, cfg->n_plugins);
    sl_config_free(cfg);
    sl_diag_free(&diag);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "check") == 0)
        return cmd_check(argv[2]);
    fprintf(stderr, "usage: sluice check FILE\n");
    return 2;
}
