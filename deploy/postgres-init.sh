#!/bin/sh
# Runs once, when the postgres volume is first initialised (the postgres
# image runs /docker-entrypoint-initdb.d/*.sh as POSTGRES_USER).
#
# The service connects as POSTGRES_APP_USER, a role that owns nothing and
# may only read and write rows: the access log's append-only trigger can then
# not be dropped or disabled, nor the log truncated, by the application.
# Migrations run as POSTGRES_USER, the owner (docs/deploy.md).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<EOSQL
CREATE ROLE "$POSTGRES_APP_USER" LOGIN PASSWORD '$POSTGRES_APP_PASSWORD';
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO "$POSTGRES_APP_USER";
ALTER DEFAULT PRIVILEGES FOR ROLE "$POSTGRES_USER" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "$POSTGRES_APP_USER";
ALTER DEFAULT PRIVILEGES FOR ROLE "$POSTGRES_USER" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO "$POSTGRES_APP_USER";
EOSQL
