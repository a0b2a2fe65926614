"""The audit's world: one object of every kind a URL can name, filled with hostile text, and a user per role.

Every text someone else wrote (a claim, a summary, a speaker, an outlet, a quote, a source's title and
article) carries a script, a broken-out attribute with an event handler, a `javascript:` address and a
right-to-left override, so each page the audit renders doubles as an XSS check.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from articles.models import Fetch, Quote, Snapshot, Source
from articles.tests.factories import OutletFactory
from disputes.models import Actor, Dispute, DisputeLink, Statement
from disputes.tests.factories import ActorFactory, DisputeFactory, add_link

PASSWORD = "correct horse battery"
SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
RLO = "\u202e"
HOSTILE = f"{SCRIPT}{BREAKOUT} javascript:alert(1) data:text/html,<script>alert(1)</script> {RLO}gnp.exe"
HOSTILE_CLAIM = f"{SCRIPT}{BREAKOUT} {RLO}x"  # within the claim's 200 characters
# An http address (so it is linked), whose quotes must stay escaped inside the attribute.
HOSTILE_URL = 'https://evil{n}.example/"><svg/onload=alert(1)><script>alert(1)</script>'
# "editor_reviewer" is in both groups: it may edit any draft and review others' work (four-eyes).
ROLES = ("anonymous", "editor", "reviewer", "editor_reviewer", "staff")


@dataclass
class World:
    users: dict[str, User | None]  # by role; None is anonymous
    draft: Dispute
    in_review: Dispute
    published: Dispute
    source: Source  # cited by the published dispute, with two versions
    quote: Quote
    statement: Statement
    actor: Actor
    link: DisputeLink  # a link of the draft, which its editor may change


def hostile_dispute(editor: User, n: int) -> Dispute:
    """A draft with an appearance and a rebuttal, every field a reader sees an attack."""
    homepage = "javascript:alert(1)" if n % 2 else "data:text/html,<script>alert(1)</script>"
    outlet = OutletFactory(name=HOSTILE, domain=f"evil{n}.example", homepage=homepage)
    dispute = DisputeFactory(
        created_by=editor, last_edited_by=editor, claim_text=HOSTILE_CLAIM, summary=HOSTILE, context=HOSTILE
    )
    speaker = ActorFactory(name=f"{HOSTILE} {n}", role=HOSTILE)
    add_link(
        dispute, DisputeLink.Role.APPEARANCE, speaker=speaker, quote__exact=HOSTILE,
        quote__source__title=HOSTILE, quote__source__outlet=outlet, quote__source__url=HOSTILE_URL.format(n=n),
    )  # fmt: skip
    add_link(dispute, DisputeLink.Role.REBUTTAL, speaker=ActorFactory(name=f"{HOSTILE} {n}b"), quote__exact=HOSTILE)
    return dispute


@pytest.fixture
def world(editor: User, reviewer: User, editor_reviewer: User) -> World:
    staff = User.objects.create_superuser("staff", "staff@example.org", PASSWORD)
    draft = hostile_dispute(editor, 1)
    in_review = hostile_dispute(editor, 2)
    # The account in both roles had a hand in it, so its review page shows the four-eyes refusal.
    in_review.update_content(by=editor_reviewer, version=in_review.version, context=f"{HOSTILE} (edited)")
    in_review.submit(by=editor)
    published = hostile_dispute(editor, 3)
    published.submit(by=editor)
    published.publish(by=reviewer, note=HOSTILE)
    published.flag_for_recheck(reason=HOSTILE)

    link = published.links.select_related("statement__quote__source").get(role=DisputeLink.Role.APPEARANCE)
    statement = link.statement
    source = statement.quote.source
    # A second version of the article, so the comparison pages have two to compare.
    now = timezone.now()
    Snapshot.objects.filter(source=source).update(captured_at=now - dt.timedelta(days=2))
    second = Snapshot.objects.create(
        source=source, captured_at=now - dt.timedelta(days=1), raw_html=zlib.compress(SCRIPT.encode()),
        raw_sha256="2", main_sha256="2", main_text=f"Before, changed. {HOSTILE} After.", title=HOSTILE,
    )  # fmt: skip
    Source.objects.filter(pk=source.pk).update(current_snapshot=second, last_changed_at=now)
    Fetch.objects.create(
        source=source, slot=now, started_at=now, finished_at=now, requested_url=source.url, status_code=200,
        outcome="changed", final_url=source.url,
    )  # fmt: skip
    source.refresh_from_db()
    return World(
        users={
            "anonymous": None,
            "editor": editor,
            "reviewer": reviewer,
            "editor_reviewer": editor_reviewer,
            "staff": staff,
        },
        draft=draft,
        in_review=in_review,
        published=published,
        source=source,
        quote=statement.quote,
        statement=statement,
        actor=statement.speaker,
        link=draft.links.first(),
    )
