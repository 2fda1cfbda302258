/*
 * demo: a realistic fictional council for trying Convene: teams, a police
 * child-abuse investigation unit, an NHS safeguarding team, schools, demo
 * users and twelve months of strategy discussions whose mix resembles what
 * inspections report (police usually there, health often missing, some
 * single-agency). Every name is invented.
 */
#ifndef CONVENE_DEMO_H
#define CONVENE_DEMO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct db;

/*
 * Load the demo data in one transaction. When only_if_empty is set and the
 * database already has discussions, does nothing and returns 1. Prints the
 * demo users' credentials to out. 0 on success, -1 on failure.
 */
int	 demo_load(struct db *db, int only_if_empty, FILE *out);

/*
 * Write the record of held demo discussion id (server/demo_record.c) inside
 * the caller's transaction, as u, with the given concern codes, through the
 * same checks as PUT /record. 0 written, 1 skipped (nobody from social care
 * attended to chair), -1 refused or failed (e says why).
 */
struct auth_user;
struct verr;
int	 demo_record_write(struct db *db, const struct auth_user *u, long id,
	    const char *const *concerns, size_t nconcerns, uint64_t seed,
	    struct verr *e);

#endif
