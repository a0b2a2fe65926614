"""`manage.py adduser`: an account in its roles, with a generated password shown once."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from conftest import ensure_roles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def roles(db: None) -> None:
    ensure_roles()  # a transactional test elsewhere may have emptied the groups


def adduser(*args: str) -> str:
    out = StringIO()
    call_command("adduser", *args, stdout=out)
    return out.getvalue()


def sign_in(username: str, password: str) -> bool:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="203.0.113.9")
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_creates_the_user_in_both_roles_with_a_password_that_signs_in() -> None:
    output = adduser("amira", "--role", "editor", "--role", "reviewer", "--email", "amira@example.org", "--staff")
    user = User.objects.get(username="amira")
    assert sorted(user.groups.values_list("name", flat=True)) == ["editors", "reviewers"]
    assert user.email == "amira@example.org"
    assert user.is_staff and not user.is_superuser
    (password,) = re.findall(r"^Password: (\S+)$", output, flags=re.MULTILINE)
    assert len(password) >= 20
    assert output.count(password) == 1
    assert "will not be shown again" in output
    assert sign_in("amira", password)


def test_one_role_and_no_email() -> None:
    output = adduser("bo", "--role", "reviewer")
    user = User.objects.get(username="bo")
    assert list(user.groups.values_list("name", flat=True)) == ["reviewers"]
    assert user.email == "" and not user.is_staff
    assert "Created bo in reviewers." in output


def test_an_existing_name_is_refused_and_its_password_kept(editor: User) -> None:
    before = editor.password
    for name in ("editor", "Editor"):
        with pytest.raises(CommandError, match="already exists"):
            adduser(name, "--role", "reviewer")
    editor.refresh_from_db()
    assert editor.password == before
    assert list(editor.groups.values_list("name", flat=True)) == ["editors"]
    assert User.objects.filter(username__iexact="editor").count() == 1


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(CommandError, match="Unknown role admin: use editor or reviewer"):
        adduser("cleo", "--role", "editor", "--role", "admin")
    assert not User.objects.filter(username="cleo").exists()


@pytest.mark.parametrize("name", ["two words", "semi;colon", "x" * 151])
def test_a_name_django_would_not_accept_is_refused(name: str) -> None:
    with pytest.raises(CommandError, match="cannot be a user name"):
        adduser(name, "--role", "editor")
    assert not User.objects.exists()


def test_a_malformed_email_is_refused() -> None:
    with pytest.raises(CommandError, match="is not an email address"):
        adduser("dee", "--role", "editor", "--email", "dee-at-example")
    assert not User.objects.exists()
