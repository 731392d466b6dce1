#!/usr/bin/env bash
# postgres-init.sh - the logins and the database of needlewatch, created once
# by the official postgres image when it initialises an empty data folder
# (mounted as /docker-entrypoint-initdb.d/10-needlewatch.sh; the image runs or
# sources it as the superuser $POSTGRES_USER, with the server on its socket
# only, so nothing else can connect yet). The image has run
# 05-needlewatch-roles.sql before it (sql/roles.sql, the NOLOGIN group roles:
# the one list of them, which the migrations check).
#
# Who is who (sql/roles.sql and sql/004_roles.sql describe the privileges):
#   needlewatch   LOGIN, owns the database and applies the migrations (the
#                 migrate job); no superuser, no CREATEROLE
#   nw_ingest     LOGIN, in needlewatch_ingest: the workers (--no-migrate)
#   nw_analyst    LOGIN, in needlewatch_analyst: the analyzer (read only)
#   nw_analyzer   LOGIN, in needlewatch_analyst and needlewatch_analyzer:
#                 needlewatch-analyze --persist (reads, and adds runs)
# Passwords come from NW_OWNER_PASSWORD, NW_INGEST_PASSWORD,
# NW_ANALYST_PASSWORD and NW_ANALYZER_PASSWORD. Every statement is guarded,
# so running it again (by hand) changes nothing but the passwords. No
# `exit`: the image may source it.

psql -X -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" \
    --dbname "${POSTGRES_DB:-postgres}" \
    -v owner_pw="${NW_OWNER_PASSWORD:?set NW_OWNER_PASSWORD}" \
    -v ingest_pw="${NW_INGEST_PASSWORD:?set NW_INGEST_PASSWORD}" \
    -v analyst_pw="${NW_ANALYST_PASSWORD:?set NW_ANALYST_PASSWORD}" \
    -v analyzer_pw="${NW_ANALYZER_PASSWORD:?set NW_ANALYZER_PASSWORD}" <<'EOSQL'
SELECT format('CREATE ROLE %I LOGIN', r)
FROM unnest(ARRAY['needlewatch', 'nw_ingest', 'nw_analyst', 'nw_analyzer']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec

ALTER ROLE needlewatch PASSWORD :'owner_pw';
ALTER ROLE nw_ingest PASSWORD :'ingest_pw';
ALTER ROLE nw_analyst PASSWORD :'analyst_pw';
ALTER ROLE nw_analyzer PASSWORD :'analyzer_pw';
GRANT needlewatch_ingest TO nw_ingest;
GRANT needlewatch_analyst TO nw_analyst;
GRANT needlewatch_analyst, needlewatch_analyzer TO nw_analyzer;

SELECT 'CREATE DATABASE needlewatch OWNER needlewatch'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'needlewatch') \gexec
EOSQL
