"""Confirmed source changes flag the public disputes that cite them (DESIGN §5.9)."""

import datetime as dt

import pytest
from django.contrib.auth.models import User

from articles import signals
from articles.models import Fetch, Outlet, Source
from articles.tests.factories import QuoteFactory, SnapshotFactory
from disputes.models import Dispute, DisputeLink, Event
from disputes.tests.factories import DisputeLinkFactory, StatementFactory, ready_for_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def source() -> Source:
    outlet = Outlet.objects.create(name="The Kyiv Independent", domain="kyivindependent.com")
    source = Source.objects.create(
        url="https://kyivindependent.com/kremlin-denies-call/", outlet=outlet,
        published_at=dt.datetime(2024, 11, 11, 10, tzinfo=dt.UTC),
    )  # fmt: skip
    source.current_snapshot = SnapshotFactory(source=source)  # our copy, so a dispute citing it can be submitted
    source.save(update_fields=["current_snapshot"])
    return source


@pytest.fixture
def fetch(source: Source) -> Fetch:
    return Fetch.objects.create(source=source, slot=dt.datetime(2024, 11, 12, tzinfo=dt.UTC), requested_url=source.url)


def cite(dispute: Dispute, quote) -> None:  # type: ignore[no-untyped-def]
    """Cite the quote in the dispute; a public dispute is approved again with it, as readers would see it."""
    DisputeLinkFactory(dispute=dispute, statement=StatementFactory(quote=quote), role=DisputeLink.Role.APPEARANCE)
    if dispute.state == Dispute.State.PUBLISHED:
        dispute.refresh_from_db()
        dispute.start_revision(by=dispute.created_by)
        dispute.submit(by=dispute.created_by)
        dispute.publish(by=User.objects.get(username="reviewer"))


def announce(source: Source, fetch: Fetch, *quotes_and_statuses) -> None:  # type: ignore[no-untyped-def]
    changes = [signals.QuoteChange(quote, status, None) for quote, status in quotes_and_statuses]
    signals.quote_status_changed.send(sender=Source, source=source, fetch=fetch, changes=changes)


def test_a_removed_quote_flags_each_public_dispute_citing_it_with_a_reason(published, editor, source, fetch) -> None:
    draft = ready_for_review(created_by=editor)
    quote = QuoteFactory(source=source, exact="Reports that the Ukrainian side was informed in advance are false.")
    cite(published, quote)
    cite(draft, quote)

    announce(source, fetch, (quote, "gone"))

    published.refresh_from_db()
    draft.refresh_from_db()
    assert published.needs_recheck
    assert published.recheck_reason == (
        f"The Kyiv Independent article (11 Nov 2024) no longer carries the quoted passage “{quote.excerpt()}”."
    )
    assert quote.excerpt() == "Reports that the Ukrainian side was informed in advance are …"
    assert not draft.needs_recheck  # readers never saw it
    (flag,) = Event.objects.filter(dispute=published, kind="flagged")
    assert flag.public and flag.actor is None
    (event,) = Event.objects.filter(source=source)
    assert event.kind == "quotes_changed" and event.data["flagged"] == [published.pk]


def test_a_flagged_dispute_is_not_flagged_twice(published, source, fetch) -> None:
    first, second = QuoteFactory(source=source), QuoteFactory(source=source)
    cite(published, first)
    cite(published, second)
    announce(source, fetch, (first, "edited"), (second, "edited_substantive"))
    announce(source, fetch, (first, "gone"))

    published.refresh_from_db()
    assert Event.objects.filter(dispute=published, kind="flagged").count() == 1
    assert "now words the quoted passage" in published.recheck_reason
    assert "changed the substance" in published.recheck_reason
    assert Event.objects.filter(source=source).count() == 2


def test_a_gone_page_flags_every_public_dispute_citing_it(published, source, fetch, reviewer) -> None:
    cite(published, QuoteFactory(source=source))
    signals.source_changed.send(sender=Source, source=source, fetch=fetch, liveness="dead")
    published.refresh_from_db()
    assert published.needs_recheck and published.recheck_reason.startswith("The Kyiv Independent article")
    assert "is gone" in published.recheck_reason
    assert Event.objects.get(source=source).kind == "source_changed"


def test_a_withdrawn_dispute_is_left_alone(published, source, fetch, reviewer) -> None:
    cite(published, QuoteFactory(source=source))
    published.withdraw(by=reviewer, reason="The claim was never made.")
    signals.source_changed.send(sender=Source, source=source, fetch=fetch, liveness="moved")
    published.refresh_from_db()
    assert not published.needs_recheck
