/*
 * authority: an authority's settings, which its administrators change and
 * which shape what Convene does from then on. Each setting is one entry of
 * a field table in server/authority.c (its JSON name, how it is read,
 * checked and written), so a new setting is one entry there; the JSON API
 * (GET and PUT /api/v1/authorities/{id}/settings) and the admin page
 * (/admin/settings, server/web_authority.c) both go through the functions
 * below. Changing a setting affects what happens next: classifications
 * already stored on discussions are never rewritten.
 */
#ifndef CONVENE_AUTHORITY_H
#define CONVENE_AUTHORITY_H

#include <jansson.h>

struct auth_user;
struct db;
struct verr;

/* The agency that convenes every strategy discussion: it is always in the
 * statutory set (Working Together: children's social care leads). */
#define AUTHORITY_LEAD_AGENCY	"social_care"
/* The discussion target, in working days after the concern; 0 is the same
 * day (DOMAIN.md: within one working day, at most three). */
#define AUTHORITY_TARGET_MIN	0
#define AUTHORITY_TARGET_MAX	3
/* record_retention_months: null keeps records; sql/022 has the same. */
#define AUTHORITY_RETENTION_MIN	12
#define AUTHORITY_RETENTION_MAX	1200

/* The chase thresholds' settings (docs/chasers.md; bounds in chaser.h), in
 * the order reminder, escalation, same-day reminder, same-day escalation:
 * X(JSON name, unit). The admin page lists the same. */
#define AUTHORITY_CHASE_FIELDS(X)					\
	X("chase_reminder_hours", "hours")				\
	X("chase_escalation_hours", "hours")				\
	X("chase_same_day_reminder_minutes", "minutes")			\
	X("chase_same_day_escalation_minutes", "minutes")

/*
 * The settings of authority id as a JSON object {"id", then one member per
 * field}. The caller owns the result; NULL when there is no such authority
 * or the database failed (e->status 404 or 500).
 */
json_t	*authority_settings_get(struct db *db, long id, struct verr *e);

/*
 * Change the settings of authority id from in, a JSON object holding any of
 * the fields (absent ones are left as they are; unknown ones are refused).
 * Everything is checked before anything is written; then one transaction
 * writes the fields and an audit entry ("authority.settings", before and
 * after). On success *out (owned by the caller) is the settings as now
 * stored and 0 is returned; otherwise -1 with e set (422 naming the field,
 * e.g. "statutory_agencies[2]"), and nothing has changed.
 */
int	 authority_settings_put(struct db *db, const struct auth_user *u,
	    long id, json_t *in, json_t **out, struct verr *e);

/* Every agency of the agencies table, in its order: [{code, name}]. The
 * caller owns the result; NULL on a database failure. */
json_t	*authority_agencies(struct db *db);

#endif
