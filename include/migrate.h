/*
 * migrate: applies the numbered files sql/NNN_*.sql (compiled into the
 * binary) in order, one transaction each, under a PostgreSQL advisory lock so
 * that instances starting together never race, recording each in
 * schema_migrations.
 */
#ifndef CONVENE_MIGRATE_H
#define CONVENE_MIGRATE_H

#include <stddef.h>

struct db;

struct migrate_file {
	const char	*name;	/* "001_schema.sql" */
	const char	*sql;
};

/* Generated from sql/ at build time; ends with {NULL, NULL}. */
extern const struct migrate_file migrate_files[];

/*
 * The group role the service runs as (docs/security.md, "Least privilege"):
 * DML on the tables, SELECT and INSERT only on audit_log, SELECT only on
 * schema_migrations; never the owner, so no DDL, TRUNCATE or trigger changes.
 */
#define MIGRATE_SERVE_ROLE	"convene_serve"

/*
 * Apply pending migrations as the owner of the tables, then (re)apply the
 * grants to MIGRATE_SERVE_ROLE, creating that role when it is missing and
 * we may. Returns the number of migrations applied, or -1 (err set).
 */
int	 migrate_run(struct db *db, char *err, size_t errlen);
/*
 * Is every compiled-in migration applied? 0 yes; 1 no (err says what to
 * run); -1 could not tell (err set). Reads only: for the serving role.
 */
int	 migrate_check(struct db *db, char *err, size_t errlen);
/* 1 when this connection could change the schema (a superuser, or a member
 * of the role owning audit_log), 0 when not, -1 on error. */
int	 migrate_is_owner(struct db *db);

#endif
