"""The bulk files of published disputes: JSON Lines (one full record a line) and CSV (one row a dispute).

`write_exports()` regenerates both from what readers see (disputes.records), a chunk of disputes at a
time, and swaps each file in whole: it is written beside its final name, then renamed over it, so a
download never gets half a file. docs/open-data.md describes both formats for the people who use them.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from disputes import records
from disputes.models import Dispute, DisputeLink

FILES = {"jsonl": "disputes.jsonl", "csv": "disputes.csv"}
CONTENT_TYPES = {"jsonl": "application/jsonl; charset=utf-8", "csv": "text/csv; charset=utf-8"}
CHUNK = 200  # disputes read (and held) at a time: three queries each, whatever their size

CSV_COLUMNS = [
    "schema_version", "slug", "url", "claim", "summary", "context", "resolution", "resolution_label",
    "published_at", "last_approved_at", "withdrawn", "withdrawal_reason", "needs_recheck", "recheck_reason",
    "claimed_by", "appearance_urls", "disputed_by", "rebuttal_urls", "statement_count",
]  # fmt: skip
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_encoder = DjangoJSONEncoder()


def path(kind: str) -> Path:
    """Return where the bulk file of this kind ("jsonl" or "csv") is kept."""
    return Path(settings.EXPORT_DIR) / FILES[kind]


def write_exports() -> int:
    """Write both files anew from the published disputes; return how many disputes they hold."""
    directory = Path(settings.EXPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    with _replacing(path("jsonl")) as jsonl, _replacing(path("csv")) as table:
        writer = csv.writer(table, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for record in published_records():
            jsonl.write(json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n")
            writer.writerow(csv_row(record))
            count += 1
    return count


def published_records() -> Iterator[dict[str, Any]]:
    """Yield the full record of every published dispute, in the order they were created."""
    disputes = Dispute.objects.public().select_related("public_revision").order_by("pk")
    last = 0
    while chunk := list(disputes.filter(pk__gt=last)[:CHUNK]):
        yield from records.dispute_details(chunk)
        last = chunk[-1].pk


def csv_row(record: dict[str, Any]) -> list[str]:
    """Flatten a dispute record into one row of CSV_COLUMNS, every cell safe to open in a spreadsheet."""
    statements = record["statements"]

    def who(role: str) -> str:
        return "; ".join(dict.fromkeys(s["who"] for s in statements if s["role"] == role and s["who"]))

    def urls(role: str) -> str:
        found = (s["source"]["url"] for s in statements if s["role"] == role and s["source"]["url"])
        return " ".join(dict.fromkeys(found))  # http_url admits no whitespace, so a space separates

    flat = {
        **{column: record.get(column) for column in CSV_COLUMNS},
        "claimed_by": who(DisputeLink.Role.APPEARANCE),
        "appearance_urls": urls(DisputeLink.Role.APPEARANCE),
        "disputed_by": who(DisputeLink.Role.REBUTTAL),
        "rebuttal_urls": urls(DisputeLink.Role.REBUTTAL),
        "statement_count": len(statements),
    }
    return [safe_cell(flat[column]) for column in CSV_COLUMNS]


def safe_cell(value: object) -> str:
    """Spell a value for a CSV cell; text a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int):
        return str(value)  # numbers are ours, never formulas
    else:
        text = str(_encoder.default(value))  # dates and times, as in the JSON
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@contextmanager
def _replacing(target: Path) -> Iterator[IO[str]]:
    """Give a text file that takes `target`'s place, whole, when the block ends without an error."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the web server may run as another user
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
