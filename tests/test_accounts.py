"""Signing in, and the operator's health check."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def attempt(client: Client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="203.0.113.7")


def test_five_wrong_passwords_pause_sign_in_for_that_account(editor: User, reviewer: User) -> None:
    client = Client()
    for _ in range(4):
        response = attempt(client, "editor", "wrong password")
        assert response.status_code == 200  # the form again, with an error
    response = attempt(client, "editor", "wrong password")
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    # Now even the right password is refused, for this account from this address…
    response = attempt(client, "editor", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # …while a colleague behind the same address signs in as usual.
    colleague = Client()
    response = attempt(colleague, "reviewer", PASSWORD)
    assert response.status_code == 302
    assert colleague.session["_auth_user_id"] == str(reviewer.pk)


def test_a_spoofed_forwarded_for_header_does_not_reset_the_count(editor: User) -> None:
    client = Client()
    for n in range(5):
        client.post(
            "/login/",
            {"username": "editor", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert attempt(client, "editor", PASSWORD).status_code == 429


def test_sign_in_and_out(editor: User) -> None:
    client = Client()
    response = attempt(client, "editor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(editor.pk)
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_healthz_reports_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "postgresql"
    assert not response.cookies
