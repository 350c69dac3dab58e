#!/usr/bin/env bash
# Start the web server and the background worker together; Ctrl-C stops both.
# PORT (default 8000) is where it listens; links in messages use SITE_URL, which follows PORT
# unless it is set.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
export DEBUG="${DEBUG:-true}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
$PY manage.py run_worker --queue-name default &
pids+=($!)
if $PY manage.py help run_scheduler >/dev/null 2>&1; then
  $PY manage.py run_scheduler &
  pids+=($!)
fi
echo "Escalate is running at ${SITE_URL} (Ctrl-C to stop)"
$PY manage.py runserver "127.0.0.1:${PORT}"
