/*
 * Everything that needs more than one entity: ids (given, derived as Kong derives them, or
 * random), uniqueness of names, keys and ids, foreign references by endpoint key or id,
 * and values computed from related entities (service.upstream, upstream.targets, hashed
 * basic-auth passwords, generated credential keys).
 *
 * Thread: the loader's.
 */
#ifndef SL_CONFIG_REFS_H
#define SL_CONFIG_REFS_H

#include "config/loader.h"

/* Runs over every built entity of <ld>, reporting uniqueness violations and dangling
 * references, and fills the model's ids, pointers and derived values. */
void sl_refs_resolve(sl_loader_t *ld);

/* Kong's random_string(): 32 lower-case hex characters from 16 random bytes, in <arena>. */
const char *sl_refs_random_string(sl_arena_t *arena);

#endif
