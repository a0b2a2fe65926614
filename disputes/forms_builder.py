"""Forms of the dispute builder: the dispute's own text, and the small forms that edit its links.

Every form that changes a dispute carries the `version` the editor saw, so that the model can refuse
a save based on a version someone else has moved past (DESIGN §4, reliability-performance B.6).
"""

from __future__ import annotations

from typing import Any

from django import forms

from disputes.models import CLAIM_MAX_LENGTH, Dispute, DisputeLink, Statement

RECENT_STATEMENTS = 50


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class DisputeContentForm(VersionForm):
    """The dispute's own words: the claim in one sentence, the summary, the background, how it stands."""

    claim_text = forms.CharField(
        label="Claim",
        max_length=CLAIM_MAX_LENGTH,
        help_text=f"One short, neutral sentence: at most {CLAIM_MAX_LENGTH} characters.",
    )
    summary = forms.CharField(label="Summary", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    context = forms.CharField(label="Background", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    resolution = forms.ChoiceField(label="How it stands", choices=Dispute.Resolution.choices)

    CONTENT_FIELDS = ("claim_text", "summary", "context", "resolution")

    def content(self) -> dict[str, str]:
        """Return the cleaned text fields, as `Dispute.update_content` takes them."""
        return {name: self.cleaned_data[name] for name in self.CONTENT_FIELDS}


class DisputeStartForm(DisputeContentForm):
    """A new dispute, with a one-time token so that a double submit opens one draft, not two."""

    version = None  # type: ignore[assignment]  # a new dispute has no version yet
    token = forms.UUIDField(widget=forms.HiddenInput)


class LinkForm(VersionForm):
    role = forms.ChoiceField(label="Role", choices=DisputeLink.Role.choices)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MoveLinkForm(VersionForm):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class AddStatementForm(LinkForm):
    """Cite a statement already on the desk, picked from the most recent ones not cited here yet."""

    statement = forms.TypedChoiceField(label="Statement", coerce=int)

    field_order = ["statement", "role", "note", "version"]

    def __init__(self, *args: Any, dispute: Dispute, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recent = (
            Statement.objects.exclude(links__dispute=dispute)
            .select_related("speaker", "quote__source__outlet")
            .order_by("-created_at", "-pk")[:RECENT_STATEMENTS]
        )
        self.statements = {statement.pk: statement for statement in recent}
        self.fields["statement"].choices = [("", "Choose a statement…")] + [
            (pk, statement_label(statement)) for pk, statement in self.statements.items()
        ]

    def clean_statement(self) -> Statement:
        return self.statements[self.cleaned_data["statement"]]


def statement_label(statement: Statement) -> str:
    """Name a statement in a list: who, the start of the quote, where."""
    who = statement.speaker.name if statement.speaker_id else statement.get_attribution_display()  # type: ignore[attr-defined]
    source = statement.quote.source
    where = source.outlet.name if source.outlet_id else source.url
    exact = statement.quote.exact
    quote = exact if len(exact) <= 70 else exact[:69].rstrip() + "…"
    return f"{who}: “{quote}” ({where})"
