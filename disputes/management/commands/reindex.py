"""Rebuild the search index and filters of every dispute readers can see, from its approved revision."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from disputes import search
from disputes.models import Dispute


class Command(BaseCommand):
    help = "Rebuild the search index and filters of published disputes from their approved revisions."

    def handle(self, *args: Any, **options: Any) -> None:
        disputes = Dispute.objects.public().select_related("public_revision").order_by("pk")
        count = 0
        for dispute in disputes.iterator(chunk_size=200):
            with transaction.atomic():
                search.index(dispute, dispute.public_revision.data)  # type: ignore[union-attr]
            count += 1
        self.stdout.write(f"Indexed {count} public dispute{'s' if count != 1 else ''}.")
