"""Shared fixtures: users by role, and disputes at each step of the workflow."""

import importlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import Group, User

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Playwright's sync API runs an event loop in the test thread; the Django ORM calls made from the
# same thread (fixtures, assertions) are still synchronous, so this is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def ensure_roles() -> None:
    """Recreate what migrations made (content types, permissions, the two groups) if a test emptied it.

    Transactional tests (browser, worker) end by emptying every table; serialized rollback is meant
    to put the rows back, but does not always (seen after the threaded politeness tests).
    """
    if Group.objects.filter(name__in=["editors", "reviewers"]).count() == 2:
        return
    from django.apps import apps
    from django.core.management.sql import emit_post_migrate_signal

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    importlib.import_module("disputes.migrations.0002_groups").create_groups(apps, None)


def _user(username: str, *groups: str) -> User:
    ensure_roles()
    user = User.objects.create_user(
        username=username, password="correct horse battery", email=f"{username}@example.org"
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    """Hash test passwords with a cheap hasher: PBKDF2's million rounds cost about 0.3 s a user, and
    tests make users by the hundred. Production keeps Django's default (config/settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    """Start Chromium once for the whole run: Playwright's sync API allows one running instance at a time,
    so every folder of browser tests (tests/browser/, tests/security/) shares this one."""
    from playwright import sync_api

    from tests.browser.helpers import CHROMIUM

    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: scripts/ensure-test-services installs it."
        )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture
def editor(db: None) -> User:
    return _user("editor", "editors")


@pytest.fixture
def other_editor(db: None) -> User:
    return _user("other-editor", "editors")


@pytest.fixture
def reviewer(db: None) -> User:
    return _user("reviewer", "reviewers")


@pytest.fixture
def editor_reviewer(db: None) -> User:
    """Someone in both roles: may write disputes and review others', never their own."""
    return _user("editor-reviewer", "editors", "reviewers")


@pytest.fixture
def draft(editor: User):
    from disputes.tests.factories import ready_for_review

    return ready_for_review(created_by=editor, last_edited_by=editor)


@pytest.fixture
def in_review(draft, editor: User):
    draft.submit(by=editor)
    return draft


@pytest.fixture
def published(in_review, reviewer: User):
    in_review.publish(by=reviewer, note="Matches the ministry statement")
    return in_review
