"""Forms of the desk: capturing a passage of a source, and saying who said it."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db import transaction

from articles.models import Quote, Snapshot, Source
from articles.signals import DetailChange

from .models import Actor, Dispute, DisputeLink, Statement

NEEDS_SPEAKER = {Statement.Attribution.DIRECT_QUOTE, Statement.Attribution.PARAPHRASE}
WIKIDATA_QID = re.compile(r"Q[1-9][0-9]*")


class DisputeTargetForm(forms.Form):
    """The dispute a capture is meant for, carried through every step as hidden fields."""

    dispute = forms.ModelChoiceField(queryset=Dispute.objects.all(), required=False, widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=[("", ""), *DisputeLink.Role.choices], required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        dispute = data.get("dispute")
        if dispute is None:
            data["role"], data["version"] = "", None
            return data
        if not data.get("role"):
            data["role"] = DisputeLink.Role.APPEARANCE
        if not data.get("version"):
            # The builder linked here without a version: the capture starts from the dispute as it is now.
            data["version"] = dispute.version
        return data

    def target(self) -> dict[str, Any]:
        """Return the dispute, role and version to carry to the next step (query or hidden fields)."""
        data = self.cleaned_data
        if data.get("dispute") is None:
            return {}
        return {"dispute": data["dispute"].pk, "role": data["role"], "version": data["version"]}


class QuoteCaptureForm(DisputeTargetForm):
    """A passage the editor selected (mouse) or confirmed (paste): its words and offsets in a snapshot."""

    snapshot = forms.IntegerField(widget=forms.HiddenInput)
    exact = forms.CharField(max_length=Quote.MAX_LENGTH, strip=False, widget=forms.HiddenInput)
    start = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, source: Source, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source

    def clean_snapshot(self) -> Snapshot:
        snapshot = Snapshot.objects.filter(source=self.source, pk=self.cleaned_data["snapshot"]).first()
        if snapshot is None:
            raise forms.ValidationError("That copy of the page is not one we hold. Reload the page and select again.")
        return snapshot

    def clean_exact(self) -> str:
        exact = self.cleaned_data["exact"]
        if not exact.strip():
            raise forms.ValidationError("Select the words you want to quote.")
        return exact


class QuoteFindForm(DisputeTargetForm):
    """A passage pasted by the editor, to be looked for in our copy of the page."""

    passage = forms.CharField(
        label="Paste the passage",
        max_length=Quote.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Paste or type the words as the article has them; small differences are fine.",
    )


class StatementForm(DisputeTargetForm):
    """Who said the passage, how it is attributed, and when."""

    speaker = forms.ModelChoiceField(
        queryset=Actor.objects.all(), required=False, widget=forms.RadioSelect, label="Who said it"
    )
    attribution = forms.ChoiceField(
        choices=Statement.Attribution.choices, initial=Statement.Attribution.DIRECT_QUOTE, label="How it is attributed"
    )
    stated_on = forms.DateField(
        required=False, label="Date stated", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("attribution") in NEEDS_SPEAKER and data.get("speaker") is None:
            self.add_error("speaker", "Name who said it: a direct quote or a paraphrase needs a speaker.")
        return data


class ActorForm(forms.Form):
    """A new speaker, typed in while attributing a passage."""

    name = forms.CharField(max_length=200, label="Name")
    role = forms.CharField(max_length=200, required=False, label="Role", help_text="e.g. foreign ministry spokesperson")
    organisation = forms.CharField(
        max_length=200, required=False, label="Organisation", help_text="Picked if we know it, added if new"
    )
    kind = forms.ChoiceField(choices=Actor.Kind.choices, initial=Actor.Kind.PERSON, label="This speaker is a")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the page that shows this form also carries a statement form with a "role" field.
        kwargs.setdefault("auto_id", "actor-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def save(self) -> tuple[Actor, bool]:
        """Return the actor with this name in this organisation, creating both if new; say if it was new."""
        data = self.cleaned_data
        organisation = None
        if data["organisation"].strip():
            organisation = known_organisation(data["organisation"].strip())
            if organisation is None:
                organisation = Actor.objects.create(name=data["organisation"].strip(), kind=Actor.Kind.ORGANISATION)
        name = data["name"].strip()
        existing = Actor.objects.filter(name__iexact=name, organisation=organisation).first()
        if existing is not None:
            return existing, False
        actor = Actor.objects.create(name=name, role=data["role"].strip(), kind=data["kind"], organisation=organisation)
        return actor, True


def known_organisation(name: str) -> Actor | None:
    """Return the organisation we know by this name (in any case), one that belongs to no other."""
    return Actor.objects.filter(name__iexact=name, organisation=None).first()


def _squeeze(text: str) -> str:
    return " ".join(text.split())


class ActorDetailsForm(forms.Form):
    """Correct who a speaker or organisation is said to be, through `Actor.update_details`."""

    name = forms.CharField(max_length=200, label="Name")
    kind = forms.ChoiceField(choices=Actor.Kind.choices, label="This speaker is a")
    role = forms.CharField(max_length=200, required=False, label="Role", help_text="e.g. foreign ministry spokesperson")
    organisation = forms.CharField(
        max_length=200, required=False, label="Organisation",
        help_text="Picked if we know it, added if new; leave it empty for none.",
        widget=forms.TextInput(attrs={"list": "organisation-names", "autocomplete": "off"}),
    )  # fmt: skip
    wikidata_qid = forms.CharField(
        max_length=20, required=False, label="Wikidata item", help_text="Its identifier, such as Q42; or nothing."
    )

    def __init__(self, *args: Any, instance: Actor, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("initial", {
            "name": instance.name, "kind": instance.kind, "role": instance.role, "wikidata_qid": instance.wikidata_qid,
            "organisation": instance.organisation.name if instance.organisation_id else "",
        })  # fmt: skip
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.organisation: Actor | None = None  # the one named, if we know it; a new one is added on saving

    def clean_name(self) -> str:
        return _squeeze(self.cleaned_data["name"])

    def clean_role(self) -> str:
        return _squeeze(self.cleaned_data["role"])

    def clean_organisation(self) -> str:
        """Return the organisation's name as typed; remember the organisation if we know it."""
        name = _squeeze(self.cleaned_data["organisation"])
        current = self.instance.organisation if self.instance.organisation_id else None
        # The current organisation may itself belong to another, where a lookup by name would not find it.
        if current is not None and name.casefold() == current.name.casefold():
            self.organisation = current
        elif name:
            self.organisation = known_organisation(name)
        return name

    def clean_wikidata_qid(self) -> str:
        qid = self.cleaned_data["wikidata_qid"].strip().upper()
        if qid and not WIKIDATA_QID.fullmatch(qid):
            raise forms.ValidationError(f"“{qid}” is not a Wikidata item: write one such as Q42.", code="invalid")
        return qid

    def clean(self) -> dict[str, Any]:
        """Refuse a name another speaker of the same organisation has, in any case, and say whose it is."""
        data = super().clean() or {}
        name = data.get("name")
        if name and "organisation" in data and (self.organisation is not None or not data["organisation"]):
            others = Actor.objects.filter(name__iexact=name, organisation=self.organisation)
            taken = others.exclude(pk=self.instance.pk).first()
            if taken is not None:
                where = f" in {self.organisation.name}" if self.organisation is not None else ""
                self.add_error("name", f"Another speaker is already called “{taken.name}”{where}: one person "
                                       "with two entries would have their statements split between them.")  # fmt: skip
        return data

    @transaction.atomic
    def save_details(self, *, by: Any) -> list[DetailChange]:
        """Save the details through the model, which records them on every dispute showing this speaker.

        A new organisation is added in the same transaction: if the model refuses the change
        (ValidationError), none is left behind.
        """
        data = self.cleaned_data
        organisation = self.organisation
        if organisation is None and data["organisation"]:
            organisation = Actor.objects.create(name=data["organisation"], kind=Actor.Kind.ORGANISATION)
        return self.instance.update_details(
            by=by, name=data["name"], kind=data["kind"], role=data["role"], organisation=organisation,
            wikidata_qid=data["wikidata_qid"],
        )  # fmt: skip
