#!/usr/bin/env bash
# Developer tool: regenerate migrations/versions/0002_*.py from the models, against a scratch
# PostgreSQL database brought to revision 0001. Used while 0002 is still unreleased.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="grants_migration_$$"
psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $scratch" >/dev/null
trap 'psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $scratch" >/dev/null' EXIT
export DATABASE_URL="postgresql://postgres:postgres@127.0.0.1:5432/$scratch"
export GRANTS_INSTANCE_PATH="/tmp/$scratch"
rm -f migrations/versions/0002_*.py
.venv/bin/grants db upgrade 0001 >/dev/null 2>&1
.venv/bin/grants db revision --autogenerate --rev-id 0002 -m "${1:-requests agreements payments}" 2>&1 | grep -v "^INFO" || true
ls migrations/versions/0002_*.py
