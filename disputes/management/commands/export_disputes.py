"""Write every dispute, with what it cites, in the interchange format (docs/import-format.md)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from disputes.interchange import export_json


class Command(BaseCommand):
    help = "Export outlets, sources, actors, quotes, statements and disputes as JSON (stdout by default)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args: Any, output: str | None = None, **options: Any) -> None:
        text = export_json()
        if output is None:
            self.stdout.write(text, ending="")
            return
        path = Path(output)
        # Write beside the target and rename, so a failed export never leaves half a file behind.
        partial = path.with_name(f".{path.name}.partial")
        try:
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
        self.stderr.write(f"Exported to {output}.")
