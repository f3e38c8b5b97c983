#!/usr/bin/env bash
# Installs what the collector's tests need from Debian packages and prints the PostgreSQL URL
# to pass as TELEM_TEST_POSTGRES_URL:
#   * PostgreSQL: installed, a cluster started, a role and database "telem" created;
#   * Chromium: for the web UI test (playwright-core drives /usr/bin/chromium);
#   * openssl: the https delivery tests make their certificate with it;
#   * gcc, elfutils (eu-stack), gdb: the crash probe's test compiles a crashing program and unwinds its core;
#   * systemd-journal-remote: the journal probe's test writes a real journal file from an export stream.
# Idempotent; run as root. Progress goes to stderr, the URL alone to stdout.
set -euo pipefail

log() { printf 'provision: %s\n' "$*" >&2; }

need=()
command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
# A font, so pages lay out text as a user's browser would.
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v eu-stack >/dev/null 2>&1 || need+=(elfutils)
command -v gdb >/dev/null 2>&1 || need+=(gdb)
[ -x /usr/lib/systemd/systemd-journal-remote ] || need+=(systemd-journal-remote)
command -v journalctl >/dev/null 2>&1 || need+=(systemd)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# The newest installed major version; create its cluster if the package did not.
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting cluster $version/main"
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')

psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
for _ in $(seq 1 30); do psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 1; done

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'telem'")" != 1 ]; then
  log 'creating role telem'
  psql_admin -c "CREATE ROLE telem LOGIN PASSWORD 'telem' CREATEDB" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'telem'")" != 1 ]; then
  log 'creating database telem'
  psql_admin -c 'CREATE DATABASE telem OWNER telem' >&2
fi

echo "postgres://telem:telem@127.0.0.1:${port}/telem"
