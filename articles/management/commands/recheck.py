"""Check sources now, in this process, without a broker: for operators, and for a demo without Redis.

    manage.py recheck --due                  the sources whose check is due
    manage.py recheck --all                  every source
    manage.py recheck --source 12 --source 14
    manage.py recheck https://example.org/a  addresses; ones not tracked yet are added
    manage.py recheck … --json               one JSON object per line

Politeness still applies (one request at a time per site, and the gap between requests): this
command waits for a site's turn instead of handing it back as a worker does.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from articles import checking
from articles.models import Source
from articles.urlnorm import InvalidURL

# The command may wait as long as it takes for a site's turn: it holds no worker.
WAIT_FOR_TURN = 3600.0


class Command(BaseCommand):
    help = "Check sources now, in this process (no broker needed), and print one line per source."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--due", action="store_true", help="check the sources that are due")
        which.add_argument("--all", action="store_true", help="check every source")
        parser.add_argument("--source", type=int, action="append", default=[], metavar="ID", help="a source id")
        parser.add_argument("urls", nargs="*", metavar="URL", help="addresses to check; untracked ones are added")
        parser.add_argument("--json", action="store_true", help="print one JSON object per source")

    def handle(self, *args: Any, **options: Any) -> None:
        sources = self._sources(options)
        if not sources:
            if not options["json"]:
                self.stdout.write("Nothing to check.")
            return
        for source in sources:
            result = self._check(source)
            if options["json"]:
                self.stdout.write(json.dumps(self._as_json(source, result), ensure_ascii=False))
            else:
                self.stdout.write(self._as_line(source, result))

    def _sources(self, options: dict[str, Any]) -> list[Source]:
        picked = sum(bool(x) for x in (options["due"], options["all"], options["source"] or options["urls"]))
        if picked == 0:
            raise CommandError("Say what to check: --due, --all, --source ID or one or more addresses.")
        if options["due"]:
            return list(Source.objects.due().order_by("next_check_at", "pk"))
        if options["all"]:
            return list(Source.objects.order_by("pk"))
        found = {s.pk: s for s in Source.objects.filter(pk__in=options["source"])}
        missing = [str(pk) for pk in options["source"] if pk not in found]
        if missing:
            raise CommandError(f"No source with id {', '.join(missing)}.")
        sources = [found[pk] for pk in options["source"]]
        problems = []
        for url in options["urls"]:
            try:
                sources.append(Source.for_url(url)[0])
            except InvalidURL as exc:
                problems.append(f"{url}: {exc}")
        if problems:
            raise CommandError("Not a web address we can check:\n  " + "\n  ".join(problems))
        return sources

    def _check(self, source: Source) -> checking.CheckResult:
        return checking.run_check(
            source.pk, slot=timezone.now(), owner=f"recheck-{uuid.uuid4()}", scheduled=True, final_attempt=True,
            block_up_to=WAIT_FOR_TURN,
        )  # fmt: skip

    def _as_json(self, source: Source, result: checking.CheckResult) -> dict[str, Any]:
        source.refresh_from_db()
        fetch = result.fetch
        return {
            "id": source.pk,
            "url": source.url,
            "result": result.state,
            "liveness": source.liveness,
            "detail": source.liveness_detail,
            "outcome": fetch.outcome if fetch else None,
            "tier": fetch.tier if fetch else None,
            "status_code": fetch.status_code if fetch else None,
            "snapshot_changed": result.snapshot_changed,
            "quotes": [
                {"id": check.quote_id, "exact": check.quote.exact, "status": check.status, "score": check.score}
                for check in result.quote_checks
            ],
        }

    def _as_line(self, source: Source, result: checking.CheckResult) -> str:
        source.refresh_from_db()
        if result.fetch is None:
            return f"{source.url}  not checked ({result.state})"
        fetch = result.fetch
        parts = [source.url, source.liveness, fetch.get_tier_display() if fetch.tier else fetch.get_outcome_display()]
        if result.quote_checks:
            counts: dict[str, int] = {}
            for check in result.quote_checks:
                counts[check.status] = counts.get(check.status, 0) + 1
            parts.append("quotes: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        if source.liveness_detail and source.liveness != "alive":
            parts.append(source.liveness_detail)
        return "  ".join(parts)
