"""Forms of the review side. Each carries the `version` the reviewer looked at, so a decision is
always about what they saw: if the dispute moved on meanwhile, the decision is refused (409)."""

from __future__ import annotations

from django import forms

from disputes.forms_builder import VersionForm

COMMENT_MAX_LENGTH = 5000


class DecisionForm(VersionForm):
    """Approve, ask for changes or reject a dispute in review; the last two need a comment."""

    APPROVE, REQUEST_CHANGES, REJECT = "approve", "request_changes", "reject"
    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[
            (APPROVE, "Approve and publish"),
            (REQUEST_CHANGES, "Ask the editor for changes"),
            (REJECT, "Reject: it should not be published"),
        ],
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when you ask for changes or reject: the editor needs to know what to do next. "
        "Optional when you approve; readers do not see it.",
    )

    # The hash of the would-be revision the page showed: an approval is of exactly those words.
    content_hash = forms.RegexField(regex=r"^[0-9a-f]{64}$", required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        cleaned["comment"] = (cleaned.get("comment") or "").strip()
        if cleaned.get("decision") == self.APPROVE and not cleaned.get("content_hash"):
            self.add_error(None, "This form does not say what you reviewed: review the page below and decide again.")
        if cleaned.get("decision") in {self.REQUEST_CHANGES, self.REJECT} and not cleaned["comment"]:
            self.add_error("comment", "Say why, so the editor knows what to do next.")
        return cleaned


class ReasonForm(VersionForm):
    """A follow-up decision that must say why: withdraw, re-confirm or send back."""

    reason = forms.CharField(
        label="Reason", max_length=COMMENT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )

    def __init__(self, *args: object, label: str = "Reason", help_text: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text
        self.fields["reason"].error_messages["required"] = f"{label} is required: say why."
