#!/usr/bin/env bash
# The package as an agent-only machine gets it: packed, installed without optional dependencies
# (no better-sqlite3, pg or tsx) in an empty directory. The agent validates and runs; the
# collector says which package it needs. Run from the repository after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'package-check: %s\n' "$*" >&2; }

work=$(mktemp -d)
trap 'kill "${agent:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

listing=$(npm pack --dry-run --json 2>/dev/null)
if grep -q '"path": "dist/test/' <<<"$listing"; then log 'the package holds dist/test'; exit 1; fi
for folder in deploy docs; do
  grep -q "\"path\": \"$folder/" <<<"$listing" || { log "the package lacks $folder/"; exit 1; }
done

tarball=$(npm pack --silent --pack-destination "$work")
mkdir "$work/app"
(cd "$work/app" && npm init -y >/dev/null && npm install --omit=optional --no-audit --no-fund "$work/$tarball" >&2)
telem="$work/app/node_modules/.bin/telem"
for package in better-sqlite3 pg tsx; do
  [ ! -e "$work/app/node_modules/$package" ] || { log "$package was installed although optional"; exit 1; }
done

"$telem" validate policies/default.policy.yaml >&2

printf 'export default { apiVersion: "telem/v1", kind: "Policy", metadata: { name: "ts" } };\n' >"$work/telem.policy.ts"
set +e
message=$("$telem" validate "$work/telem.policy.ts" 2>&1)
status=$?
set -e
[ "$status" -ne 0 ] && grep -q 'npm install tsx' <<<"$message" || { printf '%s\n' "$message" >&2; log "a .ts policy without tsx: exit $status, tsx not named"; exit 1; }

"$telem" --root "$work/root" run >"$work/run.log" 2>&1 &
agent=$!
for _ in $(seq 1 100); do grep -q '"agent ready"' "$work/run.log" && break; sleep 0.1; done
grep -q '"agent ready"' "$work/run.log" || { cat "$work/run.log" >&2; log 'telem run did not start'; exit 1; }
kill "$agent"; wait "$agent" || true

set +e
message=$("$telem" --root "$work/root" collector --listen 127.0.0.1:0 2>&1)
status=$?
set -e
[ "$status" -eq 2 ] && grep -q 'npm install better-sqlite3' <<<"$message" || { printf '%s\n' "$message" >&2; log "telem collector exited $status without naming better-sqlite3"; exit 1; }
log 'ok: no tests in the package, deploy/ and docs/ in it; without optional packages the agent validates and runs, a .ts policy names tsx and the collector names better-sqlite3'
