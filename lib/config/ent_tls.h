/*
 * TLS entities (kong/db/schema/entities/certificates.lua, snis.lua, ca_certificates.lua):
 * PEM material parsed with mbedTLS and checked the way Kong checks it with OpenSSL.
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_ENT_TLS_H
#define SL_CONFIG_ENT_TLS_H

#include "config/loader.h"

/* Builds the sl_certificate_t of record <e> (a mapping) and its nested snis. */
void sl_ent_tls_build_certificate(sl_loader_t *ld, sl_ent_t *e);

/* Builds the sl_sni_t of record <e> (a mapping). */
void sl_ent_tls_build_sni(sl_loader_t *ld, sl_ent_t *e);

/* Checks a ca_certificates record <e>: one PEM certificate, a CA, not expired. sluice keeps
 * no CA certificate in the model (it has no upstream TLS yet), so nothing is stored. */
void sl_ent_tls_build_ca_certificate(sl_loader_t *ld, sl_ent_t *e);

#endif
