/*
 * Kong-shaped JSON for the loaded configuration: what the read-only Admin API endpoints
 * (`GET /services`, `/routes/{id}`, `/upstreams/{name}/health`, ...) answer in DB-less mode.
 *
 * Entity objects carry every field of Kong's schema (kong-compat.md 2 and 6): `null` for unset
 * values, foreign keys as `{"id": "<uuid>"}`, `tags` as an array or null. Secrets never
 * appear: certificates are shown without `key`/`key_alt`, and the credential entities
 * (keyauth_credentials, basicauth_credentials, jwt_secrets, acls) are not rendered at all.
 *
 * Entity names are Kong's table names: "services", "routes", "upstreams", "targets",
 * "consumers", "plugins", "certificates", "snis".
 *
 * `created_at`/`updated_at`: declarative entities carry no timestamps, so every entity shows
 * <loaded_at> (Unix seconds; the caller passes the time its config was loaded, the same value
 * for all entities of one config).
 *
 * Thread: any. Every function only reads <cfg> and the entities; the config must stay alive
 * for the duration of the call (the result copies every string it shows).
 */
#ifndef SL_CONFIG_RENDER_H
#define SL_CONFIG_RENDER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "config/model.h"

/* One entity <e> of kind <entity> (an sl_service_t * for "services", an sl_route_t * for
 * "routes", ...) as Kong's Admin API shows it. <cfg> is the config <e> belongs to (a
 * certificate's `snis` are looked up there). Returns a new object (caller frees with
 * cJSON_Delete), or NULL if <entity> is not one of the names above or <e> is NULL. */
cJSON *sl_entity_json(const sl_config_t *cfg, const char *entity, const void *e,
                            int64_t loaded_at);

/* Every entity of kind <entity> in <cfg>, in config order, as Kong's list envelope
 * `{"data":[...],"next":null}`. Returns a new object (caller frees with cJSON_Delete), or
 * NULL for an unknown entity name (credentials included: they are never listed). */
cJSON *sl_entity_list_json(const sl_config_t *cfg, const char *entity, int64_t loaded_at);

/* The entities of kind <child> that belong to <parent> (of kind <parent_entity>), in config
 * order, in the list envelope: Kong's nested endpoints `/services/{s}/routes`,
 * `/services/{s}/plugins`, `/routes/{r}/plugins`, `/consumers/{c}/plugins`,
 * `/upstreams/{u}/targets` and `/certificates/{c}/snis`. Returns a new object (caller frees
 * with cJSON_Delete), or NULL for any other pair of names or a NULL <parent>. */
cJSON *sl_entity_children_json(const sl_config_t *cfg, const char *parent_entity,
                              const void *parent, const char *child, int64_t loaded_at);

/* Finds the entity of kind <entity> whose id is <name_or_id>, or else whose endpoint key is
 * <name_or_id>, as Kong's `/{entity}/{name or id}` does: name for services, routes, upstreams
 * and snis, username for consumers, instance_name for plugins, and for certificates the
 * certificate of the SNI so named. Targets are found by id only. Returns a borrowed pointer
 * into <cfg> (cast to the entity's type), or NULL when absent or <entity> is unknown. */
const void *sl_entity_find(const sl_config_t *cfg, const char *entity, const char *name_or_id);

/* Kong's `GET /upstreams/{name}/health` body for <u>: every target of <u> with `"health"` and
 * `"data":{"addresses":[{ip, port, weight, health}]}`, then `"next": null` and
 * `"node_id": <node_id>`. sluice has no health checker (and refuses configs that enable one),
 * so every health is "HEALTHCHECKS_OFF"; a target given by hostname shows the hostname as its
 * `ip`. Returns a new object (caller frees with cJSON_Delete), or NULL if <u> is NULL. */
cJSON *sl_entity_upstream_health_json(const sl_config_t *cfg, const sl_upstream_t *u,
                                     const char *node_id, int64_t loaded_at);

#endif
