/*
 * audit: one INSERT per change; the table's triggers refuse any UPDATE or
 * DELETE, so the record cannot be rewritten through this service.
 */
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "auth.h"
#include "db.h"

int
audit_record(struct db *db, const struct auth_user *u, const char *action,
    const char *entity, long entity_id, json_t *before, json_t *after)
{
	char aid[24], uid[24], eid[24];
	char *b = NULL, *a = NULL;
	const char *p[7];
	int rc = -1;

	snprintf(aid, sizeof(aid), "%ld", u ? u->authority_id : 0);
	snprintf(uid, sizeof(uid), "%ld", u ? u->id : 0);
	snprintf(eid, sizeof(eid), "%ld", entity_id);
	if (before != NULL &&
	    (b = json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	if (after != NULL &&
	    (a = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	p[0] = u ? aid : NULL;
	p[1] = u ? uid : NULL;
	p[2] = action;
	p[3] = entity;
	p[4] = entity_id ? eid : NULL;
	p[5] = b;
	p[6] = a;
	rc = db_defer(db, "INSERT INTO audit_log (authority_id, user_id, action, "
	    "entity, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, "
	    "$6::jsonb, $7::jsonb)", 7, p);
out:
	free(b);
	free(a);
	return rc;
}
