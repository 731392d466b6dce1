#!/usr/bin/env bash
# postgres-init.sh - the roles and the database of needlewatch, created once
# by the official postgres image when it initialises an empty data folder
# (mounted as /docker-entrypoint-initdb.d/10-needlewatch.sh; the image runs or
# sources it as the superuser $POSTGRES_USER, with the server on its socket
# only, so nothing else can connect yet).
#
# Who is who (sql/004_roles.sql describes the privileges):
#   needlewatch          LOGIN, owns the database and applies the migrations
#                        (the migrate job); no superuser, no CREATEROLE
#   needlewatch_ingest, needlewatch_analyst, needlewatch_authority,
#   needlewatch_maker    NOLOGIN group roles, created here because roles
#                        belong to the cluster and the owner may not create them
#   nw_ingest            LOGIN, member of needlewatch_ingest: the workers
#                        (they run with --no-migrate)
#   nw_analyst           LOGIN, member of needlewatch_analyst: the analyzer
# Passwords come from NW_OWNER_PASSWORD, NW_INGEST_PASSWORD and
# NW_ANALYST_PASSWORD. Every statement is guarded, so running it again (by
# hand) changes nothing but the passwords. No `exit`: the image may source it.

psql -X -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-postgres}" \
    -v owner_pw="${NW_OWNER_PASSWORD:?set NW_OWNER_PASSWORD}" \
    -v ingest_pw="${NW_INGEST_PASSWORD:?set NW_INGEST_PASSWORD}" \
    -v analyst_pw="${NW_ANALYST_PASSWORD:?set NW_ANALYST_PASSWORD}" <<'EOSQL'
SELECT format('CREATE ROLE %I LOGIN', r)
FROM unnest(ARRAY['needlewatch', 'nw_ingest', 'nw_analyst']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
SELECT format('CREATE ROLE %I NOLOGIN', r)
FROM unnest(ARRAY['needlewatch_ingest', 'needlewatch_analyst', 'needlewatch_authority',
                  'needlewatch_maker']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec

ALTER ROLE needlewatch PASSWORD :'owner_pw';
ALTER ROLE nw_ingest PASSWORD :'ingest_pw';
ALTER ROLE nw_analyst PASSWORD :'analyst_pw';
GRANT needlewatch_ingest TO nw_ingest;
GRANT needlewatch_analyst TO nw_analyst;

SELECT 'CREATE DATABASE needlewatch OWNER needlewatch'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'needlewatch') \gexec
EOSQL
