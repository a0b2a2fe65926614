"""/healthz: database, broker, dispatcher and overdue checks, for load balancers and operators."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Heartbeat, Source

pytestmark = pytest.mark.django_db


def test_ok_when_nothing_is_tracked_yet(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["database"], body["broker"]) == ("postgresql", "redis")
    assert body["dispatcher"] == {"last_run": None, "ok": True}
    assert not response.cookies


def test_a_fresh_install_is_ok_until_the_dispatcher_is_late_for_its_first_tick(client: Client) -> None:
    source = Source.objects.create(url="https://news.example/a", next_check_at=timezone.now())
    assert client.get("/healthz").status_code == 200  # beat's first tick is a minute away
    Source.objects.filter(pk=source.pk).update(next_check_at=timezone.now() - dt.timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["dispatcher"]


def test_ok_when_the_dispatcher_ran_and_nothing_is_late(client: Client) -> None:
    Heartbeat.beat("dispatcher")
    Source.objects.create(url="https://news.example/a", next_check_at=timezone.now() - dt.timedelta(minutes=10))
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert 500 < body["checks"]["oldest_overdue_seconds"] < 700


def test_503_when_the_dispatcher_has_stopped(client: Client) -> None:
    Heartbeat.objects.create(name="dispatcher", at=timezone.now() - dt.timedelta(minutes=6))
    Source.objects.create(url="https://news.example/a", next_check_at=timezone.now() + dt.timedelta(hours=1))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["dispatcher"]


def test_503_when_a_source_is_more_than_an_hour_overdue(client: Client) -> None:
    Heartbeat.beat("dispatcher")
    Source.objects.create(url="https://news.example/a", next_check_at=timezone.now() - dt.timedelta(hours=2))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["problems"] == ["checks"]


def test_503_when_the_broker_cannot_be_reached(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("redis: ")


def test_the_embedded_broker_is_a_writable_folder(client: Client, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path)}
    assert client.get("/healthz").json()["broker"] == "filesystem"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing")}
    assert client.get("/healthz").status_code == 503
