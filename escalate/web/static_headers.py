"""Headers for static files, which WhiteNoise answers before any other middleware runs.

Imported by settings.py (WHITENOISE_ADD_HEADERS_FUNCTION takes a function), so it imports
nothing but Django's lazy settings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def static_file_headers(headers: Any, path: str, url: str) -> None:
    """A strict CSP for every static file: opened on its own (an SVG, say) it can run nothing."""
    headers["Content-Security-Policy"] = settings.STATIC_CONTENT_SECURITY_POLICY
    headers["Permissions-Policy"] = settings.PERMISSIONS_POLICY
