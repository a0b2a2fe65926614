"""Sign-in security (reference B-T4): cookie flags in production, no session fixation, CSRF rotation,
password rules, and sign-in and sign-out as full page loads."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.test_settings import PRODUCTION_ENV, manage

PASSWORD = "correct horse battery"
COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE",
]  # fmt: skip


@pytest.fixture(scope="module")
def production() -> dict[str, object]:
    """The cookie and password settings as production mode computes them."""
    script = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {COOKIE_SETTINGS!r}}} | "
        "{'validators': [v['NAME'].rsplit('.', 1)[-1] for v in s.AUTH_PASSWORD_VALIDATORS]}))"
    )
    result = manage("shell", "-c", script, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_httponly_and_same_site(production: dict[str, object]) -> None:
    assert production["SESSION_COOKIE_SECURE"] is True and production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SAMESITE"] == "Lax" and production["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert production["validators"] == [
        "UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]  # fmt: skip


def test_signing_in_sets_those_flags_and_starts_a_new_session(
    production: dict[str, object], settings, editor: User
) -> None:  # type: ignore[no-untyped-def]
    for name in COOKIE_SETTINGS:
        setattr(settings, name, production[name])
    client = Client(enforce_csrf_checks=True)
    login_page = client.get("/login/")
    token_before = client.cookies["csrftoken"].value
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.content.decode()).group(1)
    session = client.session
    session["planted"] = "by someone else"  # a session that existed before signing in (fixation attempt)
    session.save()
    planted_key = session.session_key

    response = client.post("/login/", {"username": "editor", "password": PASSWORD, "csrfmiddlewaretoken": form_token})

    assert response.status_code == 302
    session_cookie, csrf_cookie = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert session_cookie["secure"] and session_cookie["httponly"] and session_cookie["samesite"] == "Lax"
    assert csrf_cookie["secure"] and csrf_cookie["samesite"] == "Lax"
    assert session_cookie.value != planted_key  # no session fixation
    assert csrf_cookie.value != token_before  # the CSRF token rotates on sign-in


def test_sign_in_and_sign_out_are_full_page_loads(client: Client, editor: User) -> None:
    """htmx must not swap the sign-in or sign-out response into a page built with the old CSRF token."""
    login = client.get("/login/").content.decode()
    login_form = re.search(r"<form[^>]*>", login[login.index("<main") :]).group(0)
    assert "hx-" not in login_form
    client.force_login(editor)
    page = client.get("/desk/").content.decode()
    logout_form = re.search(r'<form[^>]*action="/logout/"[^>]*>', page).group(0)
    assert "hx-" not in logout_form and "hx-boost" not in page


@pytest.mark.parametrize("password", ["password", "12345678901", "editor2026", "short"])
def test_weak_passwords_are_refused(password: str, editor: User) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, user=editor)
