"""Tell a container's liveness probe whether the Celery workers are consuming (docs/production.md).

    manage.py worker_alive            one line; exit 0 alive, 1 stalled, 2 cannot tell
    manage.py worker_alive --json     the same as /healthz's "workers" object

Stalled: tasks wait in the queue and no worker has finished one for WORKER_STALL_SECONDS. It cannot
tell when the broker or the database does not answer; restarting workers would not help then, so a
probe may treat 2 as alive (`manage.py worker_alive || [ $? -eq 2 ]`).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from articles import workers

EXIT_CODES = {"ok": 0, "stalled": 1, "unknown": 2}


class Command(BaseCommand):
    help = "Exit 0 if the Celery workers are consuming, 1 if tasks wait and none finishes, 2 if it cannot tell."
    requires_system_checks: list[str] = []  # a probe runs every few seconds: answer, check nothing else

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        found = workers.health()
        line = json.dumps(found.as_json()) if options["json"] else f"{found.state}: {found.reason}"
        (self.stdout if found.state == "ok" or options["json"] else self.stderr).write(line)
        if found.state != "ok":
            raise SystemExit(EXIT_CODES[found.state])
