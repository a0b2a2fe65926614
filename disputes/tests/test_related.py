"""Disputes tied together by what their approved revisions cite: the same speaker, or the same source."""

import datetime as dt

import pytest
from django.utils import timezone

from disputes.models import Dispute, DisputeLink
from disputes.related import citing, related_to
from disputes.tests.factories import ActorFactory, DisputeFactory, StatementFactory, add_link, publish_as_is

pytestmark = pytest.mark.django_db


def publish(dispute: Dispute, *, days_ago: int = 1, state: str = Dispute.State.PUBLISHED) -> Dispute:
    return publish_as_is(dispute, published_at=timezone.now() - dt.timedelta(days=days_ago), state=state)


def cite(dispute: Dispute, statement) -> DisputeLink:  # type: ignore[no-untyped-def]
    return DisputeLink.objects.create(dispute=dispute, statement=statement, role=DisputeLink.Role.REBUTTAL)


@pytest.fixture
def peskov_statement():  # type: ignore[no-untyped-def]
    return StatementFactory(speaker=ActorFactory(name="Dmitry Peskov"))


def test_a_shared_speaker_or_source_relates_disputes_and_says_which(peskov_statement) -> None:  # type: ignore[no-untyped-def]
    dispute = DisputeFactory()
    cite(dispute, peskov_statement)
    publish(dispute)
    by_speaker = DisputeFactory(claim_text="Another claim Peskov answered")
    add_link(by_speaker, DisputeLink.Role.REBUTTAL, speaker=peskov_statement.speaker)
    by_source = DisputeFactory(claim_text="Another claim from the same article")
    add_link(by_source, DisputeLink.Role.APPEARANCE, quote__source=peskov_statement.quote.source)
    unrelated = DisputeFactory()
    add_link(unrelated, DisputeLink.Role.APPEARANCE)
    for other in (by_speaker, by_source, unrelated):
        publish(other, days_ago=2 if other is by_speaker else 3)

    related = related_to(dispute, dispute.public_revision.data)

    assert [r.dispute.pk for r in related] == [by_speaker.pk, by_source.pk]  # newest first
    assert related[0].speakers == ["Dmitry Peskov"] and related[0].sources == []
    source = peskov_statement.quote.source
    assert related[1].speakers == [] and related[1].sources == [(source.title, source.outlet.name)]
    assert related[0].data["claim_text"] == "Another claim Peskov answered"


def test_only_published_approved_citations_count(peskov_statement) -> None:  # type: ignore[no-untyped-def]
    dispute = DisputeFactory()
    cite(dispute, peskov_statement)
    publish(dispute)
    withdrawn = DisputeFactory()
    cite(withdrawn, StatementFactory(speaker=peskov_statement.speaker))
    publish(withdrawn, state=Dispute.State.WITHDRAWN)
    draft = DisputeFactory()
    cite(draft, StatementFactory(speaker=peskov_statement.speaker))
    # Published, then Peskov cited in an edit nobody approved yet: the approved revision does not cite him.
    editing = publish(DisputeFactory())
    cite(editing, StatementFactory(speaker=peskov_statement.speaker))

    assert related_to(dispute, dispute.public_revision.data) == []


def test_a_revision_approved_without_the_shared_speaker_is_no_longer_related(peskov_statement) -> None:  # type: ignore[no-untyped-def]
    dispute = DisputeFactory()
    cite(dispute, peskov_statement)
    publish(dispute)
    other = DisputeFactory()
    link = cite(other, StatementFactory(speaker=peskov_statement.speaker))
    add_link(other, DisputeLink.Role.APPEARANCE)
    publish(other)
    assert [r.dispute.pk for r in related_to(dispute, dispute.public_revision.data)] == [other.pk]

    link.delete()
    Dispute.objects.filter(pk=other.pk).update(version=2)
    other.refresh_from_db()
    publish(other)

    assert related_to(dispute, dispute.public_revision.data) == []


def test_at_most_five_are_related_in_one_query(peskov_statement, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    dispute = DisputeFactory()
    cite(dispute, peskov_statement)
    for _ in range(30):
        add_link(dispute, DisputeLink.Role.APPEARANCE, snapshot=False)
    publish(dispute)
    for n in range(7):
        other = DisputeFactory()
        cite(other, StatementFactory(speaker=peskov_statement.speaker))
        publish(other, days_ago=n + 2)

    data = dispute.public_revision.data

    with django_assert_num_queries(1):
        related = related_to(dispute, data)

    assert len(related) == 5


def test_citing_lists_public_disputes_withdrawn_ones_too(peskov_statement) -> None:  # type: ignore[no-untyped-def]
    source = peskov_statement.quote.source
    published = DisputeFactory()
    cite(published, peskov_statement)
    publish(published, days_ago=1)
    withdrawn = DisputeFactory()
    add_link(withdrawn, DisputeLink.Role.APPEARANCE, quote__source=source)
    publish(withdrawn, days_ago=2, state=Dispute.State.WITHDRAWN)
    draft = DisputeFactory()
    add_link(draft, DisputeLink.Role.APPEARANCE, quote__source=source)

    assert [d.pk for d in citing(source.pk)] == [published.pk, withdrawn.pk]
    assert citing(source.pk + 1000) == []
