/*
 * audit: the append-only record of who changed what. Written in the same
 * transaction as the change it describes. Snapshots carry no child names,
 * dates of birth or children's views.
 */
#ifndef CONVENE_AUDIT_H
#define CONVENE_AUDIT_H

#include <jansson.h>

struct auth_user;
struct db;

/* Append one entry; before/after may be NULL (references stay the
 * caller's). 0 on success. */
int	 audit_record(struct db *db, const struct auth_user *u,
	    const char *action, const char *entity, long entity_id,
	    json_t *before, json_t *after);

#endif
