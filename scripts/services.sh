#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback for the test suite; start them if not.
set -euo pipefail
sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"

wait_for() {  # wait_for "description" command...
  local what="$1"; shift
  for _ in $(seq 1 60); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$what did not start" >&2
  return 1
}

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "Starting PostgreSQL"
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$version" ]; then
    echo "PostgreSQL is not installed (run scripts/bootstrap.sh test)" >&2
    exit 1
  fi
  $sudo_cmd pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432
fi
# The suite signs in as postgres/postgres over TCP: give that role the password if it has none.
if ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; then
  echo "Setting the postgres role's password for the test suite"
  $sudo_cmd su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  $sudo_cmd redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/grants-redis.log
  wait_for "Redis" redis-cli -h 127.0.0.1 -p 6379 ping
fi
echo "PostgreSQL and Redis are up"
