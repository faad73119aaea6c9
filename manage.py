#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from devserver import devdb

    if settings.EMBEDDED_DATABASE and os.environ.get("DEVDB_AUTOSTART", "1") == "1":
        try:
            devdb.start()
        except devdb.EmbeddedDatabaseError as error:
            sys.exit(f"embedded database: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
