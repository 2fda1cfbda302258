#!/bin/sh
# Run once by the postgres image when its volume is first initialised
# (/docker-entrypoint-initdb.d): the serving group role and the service's
# login, as a DBA would create them (docs/operations.md, "Database roles").
# The owner is POSTGRES_USER; `convene migrate` grants convene_serve what
# the service may do.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$CONVENE_APP_PASSWORD" \
	--username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE convene_serve NOLOGIN;
CREATE ROLE convene_app LOGIN PASSWORD :'pw' IN ROLE convene_serve;
SQL
