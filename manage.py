#!/usr/bin/env python
"""Django's command-line utility for Escalate."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalate.settings")
    from django.core.management import execute_from_command_line

    from escalate.config import ConfigurationError

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - load settings now so a bad one fails here, briefly
    except ConfigurationError as error:
        print(f"escalate: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
