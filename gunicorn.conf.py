"""gunicorn's settings for Escalate, read from this file whenever gunicorn starts in the
repository's folder (or with `-c gunicorn.conf.py`); docs/operations.md explains each choice.

Threads (gthread) rather than sync workers: a client that sends its request slowly holds one
thread, not a whole process, so a few slow clients cannot starve `/health/` or anyone else.
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request taking longer than this is cut off and its worker restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM, requests in hand get this long to finish.
graceful_timeout = 25
# Idle keep-alive connections from the load balancer are closed after this.
keepalive = 5
# Recycle workers now and then, so a slow leak cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# Requests bigger than these are refused by gunicorn before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
