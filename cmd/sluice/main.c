/*
 * sluice entry point: argv and environment -> settings, the `check` subcommand,
 * then the server. Nothing else lives here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/diag.h"
#include "config/load.h"
#include "core/log.h"
#include "core/settings.h"
#include "plugin/plugin.h"
#include "runtime/server.h"
#include "snapshot/snapshot.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice --config FILE [--proxy-listen ADDR] [--admin-listen "
               "ADDR]\n"
               "              [--workers N] [--log-level LEVEL]\n"
               "       sluice check FILE\n"
               "       sluice --help | --version\n"
               "\n"
               "An API gateway that reads Kong's declarative configuration (kong.yml).\n"
               "\n"
               "  -c, --config FILE        declarative config, YAML or JSON\n"
               "                           (env SLUICE_CONFIG, "
               "KONG_DECLARATIVE_CONFIG)\n"
               "  -p, --proxy-listen ADDR  proxy listeners, \"IP:PORT[, IP:PORT...]\"\n"
               "                           (env SLUICE_PROXY_LISTEN, "
               "KONG_PROXY_LISTEN;\n"
               "                           default 0.0.0.0:8000)\n"
               "  -a, --admin-listen ADDR  admin API listeners (env "
               "SLUICE_ADMIN_LISTEN,\n"
               "                           KONG_ADMIN_LISTEN; default 127.0.0.1:8001)\n"
               "  -w, --workers N          worker threads, one per core by default\n"
               "                           (env SLUICE_WORKERS, "
               "KONG_NGINX_WORKER_PROCESSES)\n"
               "  -l, --log-level LEVEL    debug, info, notice, warn, error (env "
               "SLUICE_LOG_LEVEL,\n"
               "                           KONG_LOG_LEVEL; default notice)\n"
               "  check FILE               validate FILE: every error as FILE:LINE:COL: "
               "message\n"
               "\n"
               "Other settings (see README): SLUICE_HEADERS / KONG_HEADERS,\n"
               "SLUICE_CLIENT_MAX_BODY_SIZE / KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE, "
               "timeouts.\n");
}

static int load(const char *path, sl_config_t **cfg, sl_snapshot_t **snap)
{
    sl_diag_t diag;
    sl_diag_init(&diag, path);
    int rc = sl_config_load_file(path, sl_plugin_lookup, cfg, &diag);
    if (rc == 0 && snap) {
        rc = sl_snapshot_compile(*cfg, snap, &diag);
        *cfg = NULL;
    }
    if (rc != 0)
        sl_diag_print(&diag, stderr);
    sl_diag_free(&diag);
    return rc;
}

static int cmd_check(const char *path)
{
    sl_config_t *cfg = NULL;
    sl_snapshot_t *snap = NULL;
    if (load(path, &cfg, &snap) != 0)
        return 1;
    const sl_config_t *c = snap->cfg;
    printf("%s: ok (%zu services, %zu routes, %zu upstreams, %zu targets, %zu "
           "consumers, "
           "%zu plugins)\n",
           path, c->n_services, c->n_routes, c->n_upstreams, c->n_targets, c->n_consumers,
           c->n_plugins);
    sl_snapshot_release(snap);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "check") == 0) {
        if (argc != 3) {
            fprintf(stderr, "usage: sluice check FILE\n");
            return 2;
        }
        return cmd_check(argv[2]);
    }

    sl_settings_t s;
    sl_settings_defaults(&s);
    int rc = 0;
    if (sl_settings_from_env(&s) != 0) {
        rc = 2;
        goto out;
    }

    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"proxy-listen", required_argument, NULL, 'p'},
        {"admin-listen", required_argument, NULL, 'a'},
        {"workers", required_argument, NULL, 'w'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    char err[160];
    while ((opt = getopt_long(argc, argv, "c:p:a:w:l:hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': s.config_path = optarg; break;
        case 'p':
        case 'a': {
            sl_listen_t *dst = opt == 'p' ? s.proxy : s.admin;
            int n = sl_settings_parse_listen(optarg, dst, SL_MAX_LISTENERS, err, sizeof(err));
            if (n < 0) {
                fprintf(stderr, "sluice: --%s: %s\n", opt == 'p' ? "proxy-listen" : "admin-listen",
                        err);
                rc = 2;
                goto out;
            }
            if (opt == 'p')
                s.n_proxy = (size_t)n;
            else
                s.n_admin = (size_t)n;
            break;
        }
        case 'w': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 1024) {
                fprintf(stderr, "sluice: --workers: expected a number between 1 and 1024\n");
                rc = 2;
                goto out;
            }
            s.workers = (int)n;
            break;
        }
        case 'l': s.log_level = optarg; break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        case 'V':
            printf("sluice %s\n", SLUICE_VERSION);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            rc = 2;
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sluice: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (sl_log_set_level_name(s.log_level) != 0) {
        fprintf(stderr, "sluice: unknown log level '%s'\n", s.log_level);
        rc = 2;
        goto out;
    }
    if (s.config_path == NULL) {
        fprintf(stderr, "sluice: no configuration: use --config FILE (or SLUICE_CONFIG, "
                        "KONG_DECLARATIVE_CONFIG)\n");
        rc = 2;
        goto out;
    }
    if (s.n_proxy == 0) {
        fprintf(stderr, "sluice: no proxy listener configured\n");
        rc = 2;
        goto out;
    }
    sl_log_set_thread_name("master");
    sl_config_t *cfg = NULL;
    sl_snapshot_t *snap = NULL;
    if (load(s.config_path, &cfg, &snap) != 0) {
        fprintf(stderr, "sluice: %s is invalid; not starting\n", s.config_path);
        rc = 1;
    } else {
        rc = sl_server_run(&s, snap);
    }
out:
    sl_settings_free(&s);
    return rc;
}
