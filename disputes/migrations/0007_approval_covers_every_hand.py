"""An approval covers exactly what readers see, and four-eyes counts every hand (issue 12).

- `Revision.content_hash`: what a reviewer approved, as the hash of the would-be revision they saw.
- `Statement.created_by`: who attributed the words, a contributor to every dispute that cites them.
- `Contributor`: everyone whose work the next approval of a dispute covers.
- `SharedRowChange`: every change by hand to a source's details, an outlet or a speaker, until an
  approval of a revision showing the row covers it.
- Existing revisions gain what readers were shown live until now (a source's language; its byline,
  which no page showed, starts empty) and the ids that tell a statement and a speaker apart across
  revisions; then their hash.
- Open rounds (disputes not approved since their last change) get their contributors from the
  history: the author, and the actor of every edit since the last approval.
- A trigger refuses a Revision approved by one of its open contributors or by the dispute's author,
  on PostgreSQL and SQLite.
"""

import hashlib
import json

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CONTENT_EVENTS = ["edited", "link_added", "link_removed", "link_changed", "links_reordered"]
APPROVALS = ["published", "republished", "imported"]

PG_UP = """
CREATE OR REPLACE FUNCTION disputes_revision_four_eyes() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM disputes_contributor
                WHERE dispute_id = NEW.dispute_id AND user_id = NEW.approved_by_id AND approved_in_id IS NULL)
       OR EXISTS (SELECT 1 FROM disputes_dispute WHERE id = NEW.dispute_id AND created_by_id = NEW.approved_by_id) THEN
        RAISE EXCEPTION 'four-eyes: user % contributed to this version of dispute %', NEW.approved_by_id, NEW.dispute_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER disputes_revision_four_eyes BEFORE INSERT ON disputes_revision
    FOR EACH ROW WHEN (NEW.approved_by_id IS NOT NULL)
    EXECUTE FUNCTION disputes_revision_four_eyes();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS disputes_revision_four_eyes ON disputes_revision;
DROP FUNCTION IF EXISTS disputes_revision_four_eyes();
"""
SQLITE_UP = """
CREATE TRIGGER disputes_revision_four_eyes BEFORE INSERT ON disputes_revision
WHEN NEW.approved_by_id IS NOT NULL AND (EXISTS (
    SELECT 1 FROM disputes_contributor
     WHERE dispute_id = NEW.dispute_id AND user_id = NEW.approved_by_id AND approved_in_id IS NULL)
  OR EXISTS (SELECT 1 FROM disputes_dispute WHERE id = NEW.dispute_id AND created_by_id = NEW.approved_by_id))
BEGIN
    SELECT RAISE(ABORT, 'four-eyes: the approver contributed to this version');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS disputes_revision_four_eyes;"


def content_hash(data):
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def complete_revisions(apps, schema_editor):
    """Freeze into each revision what its readers were shown live (the language), and the ids."""
    Revision = apps.get_model("disputes", "Revision")
    Statement = apps.get_model("disputes", "Statement")
    Source = apps.get_model("articles", "Source")
    for revision in Revision.objects.order_by("pk").iterator():
        data = revision.data if isinstance(revision.data, dict) else {}
        links = [link for link in data.get("links", []) if isinstance(link, dict)]
        source_ids = {(link.get("source") or {}).get("id") for link in links}
        sources = {source.pk: source for source in Source.objects.filter(pk__in=source_ids - {None})}
        for link in links:
            frozen_source = link.get("source") or {}
            source = sources.get(frozen_source.get("id"))
            # The language was read live (the quote's `lang`): freeze what readers got. No public page
            # showed the byline, so no reviewer approved one: it starts empty.
            frozen_source.setdefault("byline", "")
            if source is not None:
                frozen_source.setdefault("language", source.language)
            speaker = link.get("speaker") or {}
            quote_id = (link.get("quote") or {}).get("id")
            if "statement" not in link and quote_id:
                statements = Statement.objects.filter(quote_id=quote_id, attribution=link.get("attribution", ""))
                if speaker:
                    statements = statements.filter(speaker__name=speaker.get("name", ""))
                else:
                    statements = statements.filter(speaker__isnull=True)
                statement = statements.order_by("pk").first()
                if statement is not None:
                    link["statement"] = statement.pk
                    if speaker and statement.speaker_id:
                        speaker.setdefault("id", statement.speaker_id)
        revision.data = data
        revision.content_hash = content_hash(data)
        revision.save(update_fields=["data", "content_hash"])


def open_rounds(apps, schema_editor):
    """Count the contributors of every change made since a dispute's last approval, from its history."""
    Dispute = apps.get_model("disputes", "Dispute")
    Event = apps.get_model("disputes", "Event")
    Contributor = apps.get_model("disputes", "Contributor")
    DisputeLink = apps.get_model("disputes", "DisputeLink")
    rows = []
    for dispute in Dispute.objects.exclude(state__in=["published", "withdrawn"]).order_by("pk").iterator():
        approved = Event.objects.filter(dispute=dispute, kind__in=APPROVALS).order_by("-created_at", "-pk").first()
        events = Event.objects.filter(dispute=dispute, kind__in=CONTENT_EVENTS, actor__isnull=False)
        if approved is not None:
            events = events.filter(created_at__gt=approved.created_at)
        people = {(actor, "edited the dispute") for actor in events.values_list("actor_id", flat=True)}
        # Whoever captured the quote of a statement cited in this round (its "link_added" events).
        added = [event.data.get("link") for event in events.filter(kind="link_added") if isinstance(event.data, dict)]
        capturers = DisputeLink.objects.filter(pk__in=[pk for pk in added if isinstance(pk, int)])
        for user in capturers.exclude(statement__quote__captured_by=None).values_list(
            "statement__quote__captured_by", flat=True
        ):
            people.add((user, "captured a cited quote"))
        if dispute.last_edited_by_id:
            people.add((dispute.last_edited_by_id, "edited the dispute"))
        rows += [Contributor(dispute_id=dispute.pk, user_id=user, what=what) for user, what in sorted(people)]
    Contributor.objects.bulk_create(rows, ignore_conflicts=True)


def trigger_up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def trigger_down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0006_record_changes_outside_workflow"),
        ("articles", "0003_pipeline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="revision",
            name="content_hash",
            field=models.CharField(blank=True, help_text="SHA-256 of the data: what was approved", max_length=64),
        ),
        migrations.AddField(
            model_name="statement",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.CreateModel(
            name="Contributor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("what", models.CharField(help_text="e.g. “edited the dispute”", max_length=80)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "approved_in",
                    models.ForeignKey(
                        blank=True,
                        help_text="The approval that covered this work; empty while it waits for one",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contributors",
                        to="disputes.revision",
                    ),
                ),
                (
                    "dispute",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="contributors", to="disputes.dispute"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "indexes": [models.Index(fields=["dispute", "user"], name="contributor_lookup")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("approved_in__isnull", True)),
                        fields=("dispute", "user", "what"),
                        name="contributor_once_a_round",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SharedRowChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("note", models.TextField(help_text="What changed, in words: headline “A” → “B”")),
                ("changes", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="disputes.actor",
                    ),
                ),
                (
                    "approved_in",
                    models.ForeignKey(
                        blank=True,
                        help_text="The first approval of a revision showing the row after this change",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="disputes.revision",
                    ),
                ),
                (
                    "outlet",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="articles.outlet",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="articles.source",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "indexes": [models.Index(fields=["approved_in"], name="shared_row_change_pending")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("actor__isnull", True), ("outlet__isnull", True), ("source__isnull", False)),
                            models.Q(("actor__isnull", True), ("outlet__isnull", False), ("source__isnull", True)),
                            models.Q(("actor__isnull", False), ("outlet__isnull", True), ("source__isnull", True)),
                            _connector="OR",
                        ),
                        name="shared_row_change_of_one_row",
                    )
                ],
            },
        ),
        migrations.RunPython(complete_revisions, migrations.RunPython.noop),
        migrations.RunPython(open_rounds, migrations.RunPython.noop),
        migrations.RunPython(trigger_up, trigger_down),
    ]
