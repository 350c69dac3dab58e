#!/usr/bin/env bash
# The whole suite. Browser tests run when Debian's chromium is installed and are reported as
# skipped (with the reason) when it is not.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  echo "NOTE: chromium is not installed; browser tests will be SKIPPED (apt-get install chromium)."
fi
db="${DATABASE_URL:-sqlite (default)}"
echo "Running the test suite against: ${db%%@*}"
exec .venv/bin/python -m pytest "$@"
