"""Import a file in the interchange format (docs/import-format.md): all of it, or nothing."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from disputes.interchange import ImportFileError, import_file, import_json


class Command(BaseCommand):
    help = "Import disputes from a JSON file; importing the same file again changes nothing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", help='The JSON file to import, or "-" for standard input.')

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            result = import_json(sys.stdin.buffer.read()) if file == "-" else import_file(file)
        except ImportFileError as exc:
            raise CommandError(f"Nothing was imported from {file}:\n{exc}") from None
        if result.changed_anything:
            self.stdout.write(f"Imported {file}:\n{result.describe()}")
        else:
            self.stdout.write(f"Nothing to do: the database already holds everything in {file}.")
