#!/usr/bin/env bash
# Start the web server and the background worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG="${DEBUG:-true}"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
$PY manage.py run_worker --queue-name default &
pids+=($!)
if $PY manage.py help run_scheduler >/dev/null 2>&1; then
  $PY manage.py run_scheduler &
  pids+=($!)
fi
echo "Escalate is running at http://127.0.0.1:8000 (Ctrl-C to stop)"
$PY manage.py runserver 127.0.0.1:8000
