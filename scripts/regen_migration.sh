#!/usr/bin/env bash
# Developer tool: regenerate an unreleased migration from the models, against a scratch PostgreSQL
# database brought to the revision before it. Usage: scripts/regen_migration.sh 0003 "cpi and indexation"
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?revision id, e.g. 0003}"
message="${2:?message}"
previous=$(printf "%04d" $((10#$rev - 1)))
scratch="grants_migration_$$"
psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $scratch" >/dev/null
trap 'psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $scratch" >/dev/null' EXIT
export DATABASE_URL="postgresql://postgres:postgres@127.0.0.1:5432/$scratch"
export GRANTS_INSTANCE_PATH="/tmp/$scratch"
rm -f migrations/versions/${rev}_*.py
.venv/bin/grants db upgrade "$previous"
.venv/bin/grants db revision --autogenerate --rev-id "$rev" -m "$message" 2>&1 | grep -v "^INFO" || true
ls migrations/versions/${rev}_*.py
