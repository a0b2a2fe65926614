import hashlib
import zlib

import factory
from django.utils import timezone

from articles.models import Outlet, Quote, Snapshot, Source


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet
        django_get_or_create = ["domain"]

    name = factory.Sequence(lambda n: f"Outlet {n}")
    domain = factory.Sequence(lambda n: f"outlet{n}.example")
    homepage = factory.LazyAttribute(lambda o: f"https://{o.domain}/")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    outlet = factory.SubFactory(OutletFactory)
    url = factory.LazyAttributeSequence(lambda o, n: f"https://{o.outlet.domain}/news/story-{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    published_at = factory.LazyFunction(timezone.now)
    language = "en"


class SnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Snapshot

    source = factory.SubFactory(SourceFactory)
    main_text = "The article text."
    full_text = factory.LazyAttribute(lambda o: o.main_text)
    raw_html = factory.LazyAttribute(lambda o: zlib.compress(f"<p>{o.main_text}</p>".encode()))
    raw_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.raw_html).hexdigest())
    main_sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.main_text.encode()).hexdigest())
    title = factory.LazyAttribute(lambda o: o.source.title)
    extractor = "test@0"


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quote

    source = factory.SubFactory(SourceFactory)
    exact = factory.Sequence(lambda n: f"Passage number {n} as it was said.")
