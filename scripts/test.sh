#!/usr/bin/env bash
# The whole test suite: vet, then every package's tests (unit, fuzz seed corpora,
# conformance, real MariaDB/PostgreSQL, end-to-end with the real binaries).
#
# Database tests need MariaDB (root, empty password, 127.0.0.1:3306) and PostgreSQL
# (postgres, trust, 127.0.0.1:5432). This script starts them when they are installed
# but not running. Without them the DB tests skip and say so; with CI=true a missing
# server fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

start_postgres() {
  command -v pg_ctlcluster >/dev/null || return 0
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
  echo "test.sh: starting PostgreSQL" >&2
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
  echo "test.sh: PostgreSQL did not come up" >&2
}

start_mariadb() {
  [ -x /usr/sbin/mariadbd ] || return 0
  mysqladmin -uroot -h127.0.0.1 ping >/dev/null 2>&1 && return 0
  echo "test.sh: starting MariaDB" >&2
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do mysqladmin -uroot -h127.0.0.1 ping >/dev/null 2>&1 && return 0; sleep 1; done
  echo "test.sh: MariaDB did not come up" >&2
}

start_postgres
start_mariadb
# sshd and dockerd for the synco pull tests, stopped by PID when this script exits.
. scripts/pull-services.sh

go vet ./...
# staticcheck (pinned) when the module proxy can provide it; a machine without it
# still runs every test.
if go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 -version >/dev/null 2>&1; then
  go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
else
  echo "test.sh: staticcheck not available here; skipped (vet ran)" >&2
fi
go test -count=1 -timeout 20m "$@" ./...
# The race detector on the packages that run goroutines against each other (the
# pipelines, the stores, the server and client). Not on the database and e2e
# packages: they are slow under it and their concurrency is in these.
go test -count=1 -race -timeout 20m "$@" ./chunkstore/... ./publish/... ./fetch/... ./httpsrv/... ./manifest/... ./dumpers
