/*
 * record: the record of a strategy discussion (concerns, what each agency
 * shared, the analysis, decisions per child, safety plan, dissent, chair),
 * written whole by PUT /api/v1/meetings/{id}/record and the web form. The
 * document is checked whole in C against the discussion as it stands
 * (children, attendance) before anything is written; then it is stored,
 * audited and committed in one transaction.
 */
#ifndef CONVENE_RECORD_H
#define CONVENE_RECORD_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

/*
 * Write the record of discussion id from body (the caller keeps body). On
 * success returns 0 with *out the discussion's API view (caller owns it);
 * otherwise -1 with e set (4xx naming the field; 500 when the database
 * failed) and nothing changed.
 */
int	 record_put(struct db *db, const struct auth_user *u, long id,
	    json_t *body, json_t **out, struct verr *e);

/*
 * The checks and writes of record_put inside the caller's transaction, the
 * discussion already locked and found held (the demo loader writes its
 * records through this, so demo data passes the same rules). *out: the
 * discussion after the write (model_discussion_free).
 */
struct discussion;
int	 record_write_tx(struct db *db, const struct auth_user *u, long id,
	    json_t *body, struct discussion **out, struct verr *e);

/*
 * Check the record already written for d (if any) against d as it now
 * stands, with the rules of record_put: for writers that change what the
 * record rests on (attendance, outcomes, a child's facts) inside their
 * transaction, after their writes. 0 when there is no record or it still
 * holds. Otherwise -1 with e a 422 whose field is the record's, prefixed
 * "record." (500 when the database failed), and *child_id or
 * *participant_id the child or person the broken rule is about (0 when
 * neither), so the caller can name its own field.
 */
int	 record_recheck(struct db *db, const struct discussion *d,
	    long *child_id, long *participant_id, struct verr *e);

/*
 * The history of discussion id for u (visibility checked): every audit
 * entry in order as {"at", "by", "action", "changes": [{field, before,
 * after}]}, the changes computed on the audit allow-list projection only.
 * *out: {"history": [...]}.
 */
int	 record_history(struct db *db, const struct auth_user *u, long id,
	    json_t **out, struct verr *e);

#endif
