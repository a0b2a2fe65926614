"""The email digest of notifications: one email per person per run, each item mailed once."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from disputes.models import Dispute, Notification
from disputes.notifications import send_digests
from disputes.tasks import send_notification_digests
from disputes.tests.factories import DisputeFactory

pytestmark = pytest.mark.django_db


def mail_to(outbox: list[EmailMessage], user: User) -> EmailMessage:
    (message,) = [m for m in outbox if m.to == [user.email]]
    return message


def through_review(dispute: Dispute, *, editor: User, reviewer: User) -> None:
    """Submit, get changes requested, submit again, publish, then flag: five events, real workflow."""
    dispute.submit(by=editor)
    dispute.request_changes(by=reviewer, comment="Add the ministry's own statement as a rebuttal.")
    dispute.submit(by=editor)
    dispute.publish(by=reviewer, note="Matches the ministry statement")
    dispute.flag_for_recheck(reason="The quoted passage was removed from the article.")


def test_three_events_make_one_email_listing_all_three(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User, draft: Dispute
) -> None:
    through_review(draft, editor=editor, reviewer=reviewer)

    assert send_digests() == 2  # one for the editor, one for the reviewer
    message = mail_to(mailoutbox, editor)
    assert message.subject == "Counterclaim: 3 updates on your disputes"
    body = message.body
    assert "1. Changes requested: " + draft.claim_text in body
    assert "2. Approved and published: " + draft.claim_text in body
    assert "3. Flagged: a cited source changed: " + draft.claim_text in body
    assert "Note: Add the ministry's own statement as a rebuttal." in body  # plain text: not escaped
    assert "Note: The quoted passage was removed from the article." in body
    assert body.count("By reviewer,") == 2
    assert "By Counterclaim," in body
    assert f"{settings.SITE_URL}/desk/disputes/{draft.pk}/" in body
    assert f"{settings.SITE_URL}/desk/notifications/" in body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_second_run_sends_nothing(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User, draft: Dispute
) -> None:
    through_review(draft, editor=editor, reviewer=reviewer)
    send_digests()
    mailoutbox.clear()
    assert send_digests() == 0
    assert mailoutbox == []


def test_what_was_read_in_the_app_is_not_mailed_again(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User, draft: Dispute
) -> None:
    through_review(draft, editor=editor, reviewer=reviewer)
    editor.notifications.filter(event__kind="changes_requested").update(read_at=timezone.now())
    send_digests()
    body = mail_to(mailoutbox, editor).body
    assert "Changes requested" not in body and "Approved and published" in body
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_nobody_is_mailed_about_their_own_act(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User, draft: Dispute
) -> None:
    through_review(draft, editor=editor, reviewer=reviewer)
    send_digests()
    assert "Sent to review" not in mail_to(mailoutbox, editor).body  # the editor submitted it
    reviewers_mail = mail_to(mailoutbox, reviewer).body
    assert "Changes requested" not in reviewers_mail  # the reviewer asked for them
    assert "Approved and published" not in reviewers_mail


def test_reviewers_hear_of_disputes_sent_to_review(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User, draft: Dispute
) -> None:
    draft.submit(by=editor, note="The ministry's statement is now cited.")
    assert send_digests() == 1
    message = mail_to(mailoutbox, reviewer)
    assert message.subject == "Counterclaim: 1 update on your disputes"
    assert "1. Sent to review: " + draft.claim_text in message.body
    assert "By editor," in message.body
    try:
        page = reverse("review:dispute", args=[draft.pk])
    except NoReverseMatch:
        page = reverse("disputes:dispute-edit", args=[draft.pk])
    assert settings.SITE_URL + page in message.body


def test_someone_without_an_email_address_gets_no_mail(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User
) -> None:
    editor.email = ""
    editor.save(update_fields=["email"])
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor, state=Dispute.State.IN_REVIEW)
    dispute.request_changes(by=reviewer, comment="Cite the ministry.")
    assert send_digests() == 0
    assert mailoutbox == []
    # Handled, so later runs do not look at it again; the desk still shows it as unread.
    (notification,) = Notification.objects.filter(recipient=editor)
    assert notification.emailed_at is not None and notification.read_at is None


def test_news_older_than_a_week_is_marked_without_a_mail(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User
) -> None:
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor, state=Dispute.State.IN_REVIEW)
    with time_machine.travel(timezone.now() - dt.timedelta(days=8)):
        dispute.request_changes(by=reviewer, comment="Long ago")
    assert send_digests() == 0
    assert mailoutbox == []
    assert Notification.objects.get(recipient=editor).emailed_at is not None


def test_a_refused_address_does_not_stop_the_others(
    mailoutbox: list[EmailMessage], monkeypatch: pytest.MonkeyPatch, editor: User, other_editor: User, reviewer: User
) -> None:
    for person in (editor, other_editor):
        dispute = DisputeFactory(created_by=person, last_edited_by=person, state=Dispute.State.IN_REVIEW)
        dispute.request_changes(by=reviewer, comment="Cite the ministry.")
    send = locmem.EmailBackend.send_messages

    def refuse_the_editor(self: locmem.EmailBackend, messages: list[EmailMessage]) -> int:
        if messages[0].to == [editor.email]:
            raise smtplib.SMTPRecipientsRefused({editor.email: (550, b"No such mailbox")})
        return send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_the_editor)
    assert send_digests() == 1
    assert mail_to(mailoutbox, other_editor)
    assert Notification.objects.get(recipient=editor).emailed_at is None  # tried again next run
    monkeypatch.undo()
    assert send_digests() == 1
    assert mail_to(mailoutbox, editor)


def test_the_celery_task_sends_the_digests(mailoutbox: list[EmailMessage], editor: User, reviewer: User) -> None:
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor, state=Dispute.State.IN_REVIEW)
    dispute.request_changes(by=reviewer, comment="Cite the ministry.")
    assert send_notification_digests.apply().get() == 1  # run eagerly, through Celery
    assert len(mailoutbox) == 1
    assert send_notification_digests() == 0


def test_beat_runs_the_digest_every_fifteen_minutes() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["send-notification-digests"]
    assert entry == {"task": send_notification_digests.name, "schedule": 15 * 60.0}


@pytest.mark.skipif(not settings.DATABASE_IS_POSTGRES, reason="SQLite has no row locks: it serializes writers")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_skips_what_an_overlapping_run_holds(
    mailoutbox: list[EmailMessage], editor: User, reviewer: User
) -> None:
    dispute = DisputeFactory(created_by=editor, last_edited_by=editor, state=Dispute.State.IN_REVIEW)
    dispute.request_changes(by=reviewer, comment="Cite the ministry.")
    results: list[int] = []

    def overlapping_run() -> None:
        try:
            results.append(send_digests())
        finally:
            connection.close()

    # This transaction plays the first run, in the middle of mailing the editor.
    with transaction.atomic():
        list(Notification.objects.select_for_update().filter(recipient=editor))
        other = threading.Thread(target=overlapping_run)
        other.start()
        other.join(timeout=30)
    assert results == [0]  # skipped the locked rows rather than waiting for them or mailing them
    assert mailoutbox == []
    assert send_digests() == 1  # the first run let go without mailing: the next run sends it
