"""`manage.py load_seeds`: the seed story, loaded as often as you like, and the demo accounts."""

import json
import stat
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.asserts import assertContains
from pytest_django.fixtures import Settings

from disputes.interchange import SEED_STORY
from disputes.models import Dispute

pytestmark = pytest.mark.django_db

# The only addresses STORY.md lists; the seeds must not invent others (the Guardian's is unknown).
STORY_URLS = {
    "https://kyivindependent.com/trump-urges-putin-to-avoid-escalation-situation-in-ukraine-wp-reports/",
    "https://kyivindependent.com/pure-fiction-kremlin-denies-putin-and-trump-spoke-by-phone-after-election-victory",
    "https://www.themoscowtimes.com/2024/11/11/kremlin-denies-reports-of-putin-trump-phone-call-over-ukraine-a86977",
    "https://www.thestar.com.my/news/world/2024/11/11/trump-in-phone-call-advised-putin-not-to-escalate-in-ukraine---washington-post",
}
TYKHYI_QUOTE = (
    "Reports that the Ukrainian side was informed in advance of the alleged call are false. "
    "Subsequently, Ukraine could not have endorsed or opposed the call"
)


@pytest.fixture(autouse=True)
def private_var_dir(settings: Settings, tmp_path: Path) -> Path:
    """Keep demo logins out of the real var/, and hash passwords quickly."""
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


def load_seeds(*args: str) -> str:
    out = StringIO()
    call_command("load_seeds", *args, stdout=out)
    return out.getvalue()


def all_rows() -> dict[str, list[dict[str, Any]]]:
    """Dump every row of every model in the project, so a test can say nothing at all changed."""
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in apps.get_models()}


def test_load_seeds_prints_a_summary() -> None:
    output = load_seeds()
    assert "Loaded the seed story: 3 disputes, 4 sources, 5 outlets" in output
    assert "2 disputes are public" in output
    assert Dispute.objects.public().count() == 2
    assert Dispute.objects.get(slug="lanza-crimea-is-gone-speaks-for-trump").state == Dispute.State.DRAFT


def test_load_seeds_twice_gives_the_same_rows() -> None:
    load_seeds()
    first = all_rows()
    output = load_seeds()
    assert all_rows() == first
    assert "(nothing new; 3 seed disputes already here were left as they are)" in output


def test_an_editors_change_to_a_seed_dispute_survives_a_restart(editor: User) -> None:
    load_seeds()
    dispute = Dispute.objects.get(slug="lanza-crimea-is-gone-speaks-for-trump")
    dispute.update_content(by=editor, version=dispute.version, summary="Our newsroom's own summary.")
    load_seeds()  # what `make run` does on every start
    assert Dispute.objects.get(pk=dispute.pk).summary == "Our newsroom's own summary."


def test_seeds_cite_only_the_addresses_the_story_lists() -> None:
    document = json.loads(SEED_STORY.read_text(encoding="utf-8"))
    assert {source["url"] for source in document["sources"]} == STORY_URLS
    assert all(len(dispute["claim_text"]) <= 75 for dispute in document["disputes"])


def test_demo_users_are_created_once_with_saved_random_passwords(private_var_dir: Path) -> None:
    output = load_seeds("--demo-users")
    logins_file = private_var_dir / "demo-logins.txt"
    assert stat.S_IMODE(logins_file.stat().st_mode) == 0o600
    saved = dict(
        line.split(": ", 1) for line in logins_file.read_text().splitlines() if line and not line.startswith("#")
    )
    assert set(saved) == {"editor", "reviewer"}
    assert saved["editor"] != saved["reviewer"]
    editor, reviewer = User.objects.get(username="editor"), User.objects.get(username="reviewer")
    assert editor.check_password(saved["editor"]) and reviewer.check_password(saved["reviewer"])
    assert list(editor.groups.values_list("name", flat=True)) == ["editors"]
    assert list(reviewer.groups.values_list("name", flat=True)) == ["reviewers"]
    assert saved["editor"] in output and saved["reviewer"] in output

    rows = all_rows()
    again = load_seeds("--demo-users")
    assert all_rows() == rows
    assert saved["editor"] in again and saved["reviewer"] in again


def test_a_lost_logins_file_gives_existing_users_new_passwords(private_var_dir: Path) -> None:
    load_seeds("--demo-users")
    logins_file = private_var_dir / "demo-logins.txt"
    old = logins_file.read_text()
    logins_file.unlink()
    load_seeds("--demo-users")
    new = dict(
        line.split(": ", 1) for line in logins_file.read_text().splitlines() if line and not line.startswith("#")
    )
    assert logins_file.read_text() != old
    assert User.objects.filter(username__in=["editor", "reviewer"]).count() == 2
    assert User.objects.get(username="editor").check_password(new["editor"])
    assert User.objects.get(username="reviewer").check_password(new["reviewer"])


def test_demo_users_are_refused_in_production(settings: Settings, private_var_dir: Path) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="development only"):
        load_seeds("--demo-users")
    assert not User.objects.exists()
    assert not Dispute.objects.exists()
    assert not (private_var_dir / "demo-logins.txt").exists()


def test_the_published_seed_dispute_reads_well_on_its_public_page(client: Client) -> None:
    load_seeds()
    response = client.get("/d/kyiv-informed-in-advance-of-trump-putin-call/")
    assertContains(response, "Kyiv was told in advance about the Trump–Putin call")
    assertContains(response, TYKHYI_QUOTE)
    assertContains(response, "Heorhii Tykhyi")
    assertContains(response, "foreign ministry spokesperson")
    assertContains(response, "The Washington Post said that Ukraine’s government was informed of the conversation")
    assertContains(response, "The Washington Post")
    assertContains(response, "The Kyiv Independent")
    assertContains(response, "The Moscow Times")
    assertContains(response, "10 Nov 2024")
    assertContains(response, "11 Nov 2024")


def test_the_draft_seed_dispute_is_not_public(client: Client) -> None:
    load_seeds()
    response = client.get("/d/lanza-crimea-is-gone-speaks-for-trump/")
    assert response.status_code == 404
