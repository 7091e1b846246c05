#!/usr/bin/env bash
# The main job on the embedded default: set up, build a demo collection, ingest it, then serve
# it as the web archive with a demo admin account (DHAKIRA_NO_SERVE=1: stop after ingesting).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rm -rf demo-run
.venv/bin/dhakira demo demo-run "$@"
[ "${DHAKIRA_NO_SERVE:-}" = 1 ] && exit 0
password=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))')
.venv/bin/dhakira -A demo-run/archive user add demo --role admin --password "$password" >/dev/null
host=${DHAKIRA_HOST:-127.0.0.1}
port=${DHAKIRA_PORT:-8000}
echo
echo "The web archive: http://$host:$port/"
echo "  sign in as: demo"
echo "  password:   $password"
echo "  (Arabic interface: the العربية button; Ctrl+C stops the server)"
exec .venv/bin/dhakira serve demo-run/archive --host "$host" --port "$port"
