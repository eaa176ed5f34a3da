#!/bin/sh
# Runs once, when the primary's data directory is first made (docker-entrypoint-initdb.d):
# a replication role for the standby, a role and database for drill's run history, and the
# pg_hba line replication needs (the image's own line, "host all all all", does not cover it).
# Passwords arrive as psql variables, so no quoting in them can break out of the SQL.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
  -v replication_password="$REPLICATION_PASSWORD" -v drill_password="$DRILL_DB_PASSWORD" <<'SQL'
create role replicator with replication login password :'replication_password';
create role drill with login password :'drill_password';
create database drill owner drill;
SQL
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"
