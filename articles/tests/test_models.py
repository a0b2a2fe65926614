import pytest
from django.db import IntegrityError, transaction

from articles.models import Outlet, Quote, Source
from articles.tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def test_one_row_per_document_whatever_the_tracking_junk() -> None:
    first, created = Source.for_url("https://www.KyivIndependent.com/story/?utm_source=tw#top")
    again, created_again = Source.for_url("https://www.kyivindependent.com/story/?fbclid=123")
    assert created and not created_again
    assert first == again
    assert first.url == "https://www.kyivindependent.com/story/"
    assert first.outlet == Outlet.objects.get(domain="kyivindependent.com")


def test_the_database_refuses_a_duplicate_or_non_http_url() -> None:
    source = SourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(url=source.url)
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(url="javascript:alert(1)")


def test_a_quote_is_never_empty_and_its_span_runs_forward() -> None:
    source = SourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(source=source, exact="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(source=source, exact="text", start=10, end=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(source=source, exact="text", start=10)
    Quote.objects.create(source=source, exact="text", start=10, end=14)


@pytest.mark.parametrize(
    ("liveness", "text", "tone"),
    [
        (Source.Liveness.UNKNOWN, "Not yet checked", "neutral"),
        (Source.Liveness.ALIVE, "Online", "ok"),
        (Source.Liveness.UNREACHABLE, "Unreachable", "warn"),
        (Source.Liveness.DEAD, "Gone", "bad"),
    ],
)
def test_state_in_words(liveness: str, text: str, tone: str) -> None:
    source = SourceFactory.build(liveness=liveness)
    assert source.state_text == text
    assert source.state_tone == tone
