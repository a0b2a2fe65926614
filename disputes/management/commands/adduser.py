"""Create a newsroom account with its roles and a generated password, printed once for the operator."""

from __future__ import annotations

import secrets
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

ROLES = {"editor": "editors", "reviewer": "reviewers"}


class Command(BaseCommand):
    help = "Create a user in the editors and/or reviewers group and print a generated password once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username", help="The name they sign in with.")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            metavar="{editor,reviewer}",
            help="editor writes disputes, reviewer decides on them; give --role twice for both.",
        )
        parser.add_argument("--email", default="", help="Where their notification digests go.")
        parser.add_argument("--staff", action="store_true", help="Also let them into the admin site.")

    def handle(self, *args: Any, username: str, role: list[str], email: str, staff: bool, **options: Any) -> None:
        User = get_user_model()
        unknown = sorted(set(role) - set(ROLES))
        if unknown:
            raise CommandError(f"Unknown role {', '.join(unknown)}: use editor or reviewer (--role twice for both).")
        try:
            username = User._meta.get_field("username").clean(username, None)
        except ValidationError as exc:
            raise CommandError(f"“{username}” cannot be a user name: {' '.join(exc.messages)}") from None
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"“{email}” is not an email address.") from None
        # Names differing only in case would be two accounts people cannot tell apart.
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"A user named “{username}” already exists; nothing was changed, not their password.")
        groups = list(Group.objects.filter(name__in=[ROLES[name] for name in role]).order_by("name"))
        if len(groups) != len(set(role)):
            raise CommandError("The editors and reviewers groups are missing: run `manage.py migrate` first.")

        user = User(username=username, email=email, is_staff=staff)
        password = _strong_password(user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
                user.groups.add(*groups)
        except IntegrityError:
            raise CommandError(f"A user named “{username}” was created a moment ago by someone else.") from None

        roles = " and ".join(group.name for group in groups)
        self.stdout.write(f"Created {username} in {roles}{', with access to the admin site' if staff else ''}.")
        self.stdout.write(f"Password: {password}")
        self.stdout.write(
            f"Pass this password to {username} now, over a safe channel: it is stored only as a hash and "
            "will not be shown again. If it is lost, set a new one with `manage.py changepassword "
            f"{username}`."
        )


def _strong_password(user: Any) -> str:
    """Return a random password that passes AUTH_PASSWORD_VALIDATORS for this user."""
    for _ in range(5):
        password = secrets.token_urlsafe(18)  # 24 characters, 144 random bits
        try:
            password_validation.validate_password(password, user)
        except ValidationError:
            continue  # astronomically unlikely with random text, but the validators decide
        return password
    raise CommandError("Could not generate a password the password validators accept; check AUTH_PASSWORD_VALIDATORS.")
