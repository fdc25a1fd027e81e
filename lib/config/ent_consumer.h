/*
 * Consumer entities (kong/db/schema/entities/consumers.lua) and the credentials of the auth
 * plugins sluice implements (key-auth, basic-auth, jwt, acl DAOs), nested in a consumer or
 * flat with `consumer: <username|id>`.
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENT_CONSUMER_H
#define SL_CONFIG_ENT_CONSUMER_H

#include "config/loader.h"

/* Builds the sl_consumer_t of record <e> (a mapping) and its nested plugins and
 * credentials. */
void sl_ent_consumer_build(sl_loader_t *ld, sl_ent_t *e);

/* Builds the credential of record <e>: keyauth_credentials, basicauth_credentials,
 * jwt_secrets or acls by e->kind. Basic-auth passwords are stored as written here and
 * hashed once the consumer id is known (config/refs.h). */
void sl_ent_consumer_build_credential(sl_loader_t *ld, sl_ent_t *e);

#endif
