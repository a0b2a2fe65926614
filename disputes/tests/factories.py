import datetime as dt

import factory
from django.utils import timezone

from articles.tests.factories import QuoteFactory, SnapshotFactory
from disputes import search
from disputes.models import Actor, Dispute, DisputeLink, Revision, Statement


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Speaker {n}")
    role = "spokesperson"


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    quote = factory.SubFactory(QuoteFactory)
    speaker = factory.SubFactory(ActorFactory)
    attribution = Statement.Attribution.DIRECT_QUOTE
    stated_on = dt.date(2024, 11, 11)


class DisputeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispute

    slug = factory.Sequence(lambda n: f"dispute-{n}")
    claim_text = factory.Sequence(lambda n: f"Claim number {n} happened")
    summary = "A summary in our own words."
    resolution = Dispute.Resolution.DENIED


class DisputeLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisputeLink

    dispute = factory.SubFactory(DisputeFactory)
    statement = factory.SubFactory(StatementFactory)
    role = DisputeLink.Role.APPEARANCE
    position = factory.Sequence(lambda n: n)


def add_link(dispute: Dispute, role: str, *, snapshot: bool = True, **statement_kwargs: object) -> DisputeLink:
    """Link a new statement to the dispute; its source gets a snapshot unless told otherwise."""
    statement = StatementFactory(**statement_kwargs)
    if snapshot:
        source = statement.quote.source
        source.current_snapshot = SnapshotFactory(source=source, main_text=statement.quote.exact)
        source.save(update_fields=["current_snapshot"])
    return DisputeLinkFactory(dispute=dispute, statement=statement, role=role)


def ready_for_review(created_by: object, **kwargs: object) -> Dispute:
    """Build a draft with one appearance and one rebuttal, each source captured."""
    dispute = DisputeFactory(created_by=created_by, **kwargs)
    add_link(dispute, DisputeLink.Role.APPEARANCE)
    add_link(dispute, DisputeLink.Role.REBUTTAL)
    return dispute


def publish_as_is(dispute: Dispute, *, published_at: dt.datetime | None = None, state: str = "published") -> Dispute:
    """Publish without the workflow: freeze the dispute into a revision, point readers at it, index it."""
    revision = Revision.objects.create(dispute=dispute, dispute_version=dispute.version, data=dispute.frozen())
    Dispute.objects.filter(pk=dispute.pk).update(
        state=state, public_revision=revision, published_at=published_at or timezone.now(),
        public_changed_at=timezone.now(),
    )  # fmt: skip
    dispute.refresh_from_db()
    search.index(dispute, revision.data)
    return dispute
