"""Write the open-data files now (/data/disputes.jsonl and .csv), without waiting for the hourly task."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from disputes import exports


class Command(BaseCommand):
    help = "Write the bulk files of published disputes (JSON Lines and CSV) into EXPORT_DIR now."

    def handle(self, *args: Any, **options: Any) -> None:
        count = exports.write_exports()
        self.stdout.write(f"Wrote {count} published dispute{'s' if count != 1 else ''} to {settings.EXPORT_DIR}.")
