"""Load the demo story (seeds/story.json) and, on request, demo accounts. Safe to run on every start."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disputes.interchange import ImportFileError, demo_logins_path, ensure_demo_users, load_seed_story
from disputes.models import Dispute


class Command(BaseCommand):
    help = "Load the seed story idempotently; --demo-users also makes an editor and a reviewer account."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--demo-users",
            action="store_true",
            help="Also create the accounts 'editor' and 'reviewer' (development only) and print their logins.",
        )

    def handle(self, *args: Any, demo_users: bool = False, **options: Any) -> None:
        # Refuse before touching anything, so a production run does not half-happen.
        if demo_users and settings.PRODUCTION:
            raise CommandError("--demo-users is for development only; this is a production deployment.")
        try:
            result = load_seed_story()
        except ImportFileError as exc:
            raise CommandError(f"The seed story could not be loaded:\n{exc}") from None
        kept = result.counts["disputes"]["kept"]
        news = (
            f"{result.created} records created, {result.changed} changed" if result.changed_anything else "nothing new"
        )
        if kept:
            news += f"; {kept} seed disputes already here were left as they are"
        self.stdout.write(
            f"Loaded the seed story: {result.total('disputes')} disputes, "
            f"{result.total('sources')} sources, {result.total('outlets')} outlets, "
            f"{result.total('actors')} actors, {result.total('statements')} statements ({news}). "
            f"{Dispute.objects.public().count()} disputes are public."
        )
        if demo_users:
            try:
                logins = ensure_demo_users()
            except (PermissionError, LookupError) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"Demo logins (saved in {demo_logins_path()}):")
            for login in logins:
                line = f"  {login.username:<9} password {login.password}   ({login.group})"
                if not login.works:
                    line += "  — changed since it was saved; delete the file and run again to reset it"
                self.stdout.write(line)
