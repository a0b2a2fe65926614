"""Telling people what happened: where a notification leads, and the email digest.

Notification rows are written with their Event (`Notification.fan_out`); this module only reads and
mails them. A digest run sends each recipient one email listing everything new for them, then
marks those rows emailed. Runs may overlap (beat fires again while a slow run still sends): each
recipient's rows are claimed with SELECT … FOR UPDATE SKIP LOCKED in a transaction that also marks
them, so a second run skips them instead of sending them twice. If sending fails, the transaction
rolls back and the next run tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from disputes.models import Event, Notification

logger = logging.getLogger(__name__)

# A digest is news; anything older than this is marked handled without a mail.
DIGEST_WINDOW = dt.timedelta(days=7)


def destination(event: Event, *, recipient_id: int, reviewer: bool) -> str:
    """Return the path where this person acts on this event: the review page or the dispute builder.

    A reviewer hears of "submitted" and "flagged" events to decide on them, unless they wrote or
    last edited the dispute (four-eyes): then the builder is their page, as it is for editors.
    """
    dispute = event.dispute
    assert dispute is not None  # fan_out notifies only of events about a dispute
    reviewing = (
        reviewer
        and event.kind in Notification.FOR_REVIEWERS
        and recipient_id not in {dispute.created_by_id, dispute.last_edited_by_id}
    )
    if reviewing:
        try:
            return reverse("review:dispute", args=[dispute.pk])
        except NoReverseMatch:
            pass  # the review pages are not installed: the builder shows the dispute too
    return reverse("disputes:dispute-edit", args=[dispute.pk])


def send_digests(now: dt.datetime | None = None) -> int:
    """Mail each person one digest of their notifications not emailed yet; return the number of emails sent."""
    now = now or timezone.now()
    since = now - DIGEST_WINDOW
    pending = Notification.objects.filter(emailed_at__isnull=True)
    # Stale news, and people we cannot or should not write to: handled, so later runs skip them.
    # Read in the app already: nothing left to tell them.
    unmailable = (
        Q(created_at__lt=since) | Q(read_at__isnull=False) | Q(recipient__email="") | Q(recipient__is_active=False)
    )
    pending.filter(unmailable).update(emailed_at=now)

    recipient_ids = set(pending.filter(created_at__gte=since).values_list("recipient_id", flat=True))
    if not recipient_ids:
        return 0
    users = get_user_model().objects.filter(pk__in=recipient_ids, is_active=True).exclude(email="").order_by("pk")
    reviewers = set(users.filter(groups__name="reviewers").values_list("pk", flat=True))
    sent = 0
    with get_connection() as connection:  # one SMTP session for the whole run
        for user in users:
            try:
                sent += _send_digest(user, connection, since=since, now=now, reviewer=user.pk in reviewers)
            except (smtplib.SMTPException, OSError):
                # One refused address must not starve everyone after it; this person's rows were
                # rolled back, so the next run tries again (until they are a week old).
                logger.exception("Could not mail the notification digest to user %s", user.pk)
    logger.info("Sent %d notification digests", sent)
    return sent


@transaction.atomic
def _send_digest(
    user: AbstractUser, connection: BaseEmailBackend, *, since: dt.datetime, now: dt.datetime, reviewer: bool
) -> int:
    """Claim this person's unmailed notifications, mail them in one digest and mark them; return 1 if sent."""
    claimed = list(
        Notification.objects.filter(
            recipient=user, emailed_at__isnull=True, read_at__isnull=True, created_at__gte=since
        )
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("event__dispute", "event__actor")
        .order_by("created_at", "pk")
    )
    if not claimed:
        return 0  # another run holds them, or has just mailed them
    sent = connection.send_messages([_digest(user, claimed, reviewer=reviewer)]) or 0
    Notification.objects.filter(pk__in=[n.pk for n in claimed]).update(emailed_at=now)
    return sent


def _digest(user: AbstractUser, notifications: list[Notification], *, reviewer: bool) -> EmailMessage:
    """Write one plain-text email listing these notifications, each with an absolute link."""
    count = len(notifications)
    items = [
        {
            "event": n.event,
            "who": n.event.actor.get_username() if n.event.actor else settings.SITE_NAME,
            "when": timezone.localtime(n.event.created_at),
            # Indented under its item, so a comment of several lines still reads as one item's.
            "comment": "\n   ".join(n.event.note.strip().splitlines()),
            "url": settings.SITE_URL + destination(n.event, recipient_id=n.recipient_id, reviewer=reviewer),
        }
        for n in notifications
    ]
    body = render_to_string(
        "disputes/email/digest.txt",
        {
            "user": user,
            "items": items,
            "site_name": settings.SITE_NAME,
            "time_zone": settings.TIME_ZONE,
            "list_url": settings.SITE_URL + reverse("disputes:notifications"),
        },
    ).strip()
    updates = "1 update" if count == 1 else f"{count} updates"
    subject = f"{settings.SITE_NAME}: {updates} on your disputes"
    return EmailMessage(subject=subject, body=body, to=[user.email])
