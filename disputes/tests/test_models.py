import pytest
from django.db import IntegrityError, transaction

from disputes.models import Actor, Statement
from disputes.tests.factories import ActorFactory, StatementFactory

pytestmark = pytest.mark.django_db


def test_an_actor_is_unique_within_its_organisation() -> None:
    ministry = ActorFactory(name="Ministry of Foreign Affairs of Ukraine", kind=Actor.Kind.ORGANISATION)
    ActorFactory(name="Heorhii Tykhyi", organisation=ministry)
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.create(name="Heorhii Tykhyi", organisation=ministry)
    # Two top-level actors of the same name are the same actor, too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.create(name="Ministry of Foreign Affairs of Ukraine")
    # The same name in another organisation is another person.
    Actor.objects.create(name="Heorhii Tykhyi", organisation=ActorFactory(name="Another body"))


def test_wikidata_ids_are_checked() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.create(name="Dmitry Peskov", wikidata_qid="not-a-qid")
    Actor.objects.create(name="Dmitry Peskov", wikidata_qid="Q1365924")


def test_a_direct_quote_needs_a_speaker_but_anonymous_sources_do_not() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        StatementFactory(speaker=None, attribution=Statement.Attribution.DIRECT_QUOTE)
    statement = StatementFactory(speaker=None, attribution=Statement.Attribution.ANONYMOUS_OFFICIALS)
    assert "Anonymous sources" in str(statement)
