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

/* Apply pending migrations; returns the number applied, or -1 (err set). */
int	 migrate_run(struct db *db, char *err, size_t errlen);

#endif
