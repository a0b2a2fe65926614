"""The run modes of DESIGN §8: production refuses to start without its secrets, and is deploy-clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "COUNTERCLAIM_ENV": "production",
    "SECRET_KEY": "x" * 20 + "-a-long-and-random-production-secret-key-for-tests",
    "ALLOWED_HOSTS": "disputes.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/counterclaim",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "CSRF_TRUSTED_ORIGINS": "https://disputes.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    dropped = {*PRODUCTION_ENV, "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def test_production_settings_pass_check_deploy() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_fails_loudly_without_a_secret_key() -> None:
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_fails_loudly_without_allowed_hosts() -> None:
    result = manage("check", env={**PRODUCTION_ENV, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_a_malformed_flag_is_named() -> None:
    result = manage("check", env={"DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
