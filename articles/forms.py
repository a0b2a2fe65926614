"""Forms of the desk's source pages: add a page by its address, and fill in what extraction missed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from . import fetching
from .models import Outlet, Source
from .signals import DetailChange
from .urlnorm import InvalidURL, normalise_url

# RFC 6761: these names always mean this machine, whatever a resolver says.
LOOPBACK_NAMES = re.compile(r"(^|\.)localhost$")
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


class SourceForm(forms.Form):
    """Take the address of a page an editor wants to track, normalised and vetted."""

    url = forms.CharField(
        label="Address of the page",
        help_text="Paste the link as you found it: tracking parameters are removed.",
        error_messages={"required": "Enter the address of a web page."},
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "https://…"}),
    )

    def clean_url(self) -> str:
        """Return the normalised address, or say plainly why we would never fetch it."""
        try:
            url = normalise_url(self.cleaned_data["url"])
        except InvalidURL as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        refusal = refused_address(url)
        if refusal:
            raise forms.ValidationError(refusal, code="forbidden")
        return url


def refused_address(url: str) -> str:
    """Say why the fetcher would refuse this address, judged without a DNS lookup; "" when it may try.

    Only an address written as an IP (or a name that always means this machine) and the port can be
    judged here; a host name is resolved by the worker, which refuses a private answer and records why.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or fetching.DEFAULT_PORTS[parts.scheme]
    ip = _literal_address(host)
    networks = fetching.allowed_networks()
    if ip is not None and any(ip in network for network in networks):
        return ""  # a network the settings open on purpose (tests, the local demo)
    if ip is not None:
        reason = fetching.forbidden_reason(ip)
        if reason:
            return f"That address is {reason} ({ip}): we never fetch from it."
    if port not in set(settings.FETCH_ALLOWED_PORTS or ()) and not networks:
        ports = " and ".join(str(p) for p in sorted(settings.FETCH_ALLOWED_PORTS or ())) or "none"
        return f"That address uses port {port}; we only fetch web pages from the standard ports ({ports})."
    return ""


def _literal_address(host: str) -> fetching.IPAddress | None:
    """Return the IP address a host name spells out, counting names that always mean this machine."""
    if LOOPBACK_NAMES.search(host):
        return ipaddress.IPv4Address("127.0.0.1")
    return fetching.literal_address(host)


class SourceDetailsForm(forms.ModelForm):
    """Let an editor fill in by hand what a page does not say or the extractor missed."""

    outlet_name = forms.CharField(
        label="Outlet",
        max_length=200,
        required=False,
        help_text="Pick one from the list, or type the name of a new one.",
        widget=forms.TextInput(attrs={"list": "outlet-names", "autocomplete": "off"}),
    )
    published_on = forms.DateField(
        label="Published on", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    class Meta:
        model = Source
        fields = ["title", "byline", "language"]
        labels = {"byline": "By", "language": "Language"}
        help_texts = {"language": "A language tag such as en, uk or pt-BR."}

    field_order = ["title", "outlet_name", "byline", "published_on", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.new_outlet_name = ""  # the name the source's placeholder outlet is to take
        source = self.instance
        if source.outlet_id:
            self.fields["outlet_name"].initial = source.outlet.name
        if source.published_at:
            self.fields["published_on"].initial = timezone.localdate(source.published_at)

    def clean_language(self) -> str:
        """Accept a language tag (en, uk, pt-BR), or nothing."""
        language = self.cleaned_data["language"].strip()
        if language and not LANGUAGE_TAG.fullmatch(language):
            raise forms.ValidationError(
                f"“{language}” is not a language tag: write one such as en, uk or pt-BR.", code="invalid"
            )
        return language

    def clean_outlet_name(self) -> Outlet | None:
        """Return the outlet named, an existing one by name or the source's own placeholder renamed."""
        name = " ".join(self.cleaned_data["outlet_name"].split())
        outlet = self.instance.outlet if self.instance.outlet_id else None
        if not name:
            return outlet
        existing = Outlet.objects.filter(name__iexact=name).first()
        if existing is not None:
            return existing
        # An outlet stands for a domain; the one made when the page was added is named after it.
        if outlet is not None and outlet.name in {outlet.domain, ""}:
            self.new_outlet_name = name
            return outlet
        if outlet is None:
            raise forms.ValidationError("This source has no domain to give an outlet; pick one from the list.")
        raise forms.ValidationError(
            f"There is no outlet called “{name}”, and {outlet.domain} already belongs to {outlet.name}: "
            "pick an outlet from the list, or rename the outlet itself with “Edit outlet”.",
            code="unknown_outlet",
        )

    def save(self, commit: bool = True) -> Source:
        raise TypeError("Save a source's details with save_details(by=…): they must be recorded and reviewed.")

    @transaction.atomic
    def save_details(self, *, by: Any) -> list[DetailChange]:
        """Save the details through the models, which record and announce each change; return them.

        All or nothing. The source's row is locked first, then its outlet's, the order in which a
        dispute citing the page takes them: two people at once wait for each other, never deadlock.
        """
        source = Source.objects.select_for_update(of=("self",)).select_related("outlet").get(pk=self.instance.pk)
        outlet = self.cleaned_data.get("outlet_name")
        changes = []
        if self.new_outlet_name and outlet is not None:
            changes += outlet.update_details(by=by, name=self.new_outlet_name)
        published_at = source.published_at
        published_on = self.cleaned_data.get("published_on")
        if published_on is None:
            published_at = None
        elif published_on != self.fields["published_on"].initial:
            # A date typed by hand: noon local time, so the day survives a shift of a few time zones.
            published_at = timezone.make_aware(dt.datetime.combine(published_on, dt.time(12)))
        details = {name: self.cleaned_data[name] for name in ("title", "byline", "language")}
        changes += source.update_details(by=by, outlet=outlet, published_at=published_at, **details)
        return changes


class OutletDetailsForm(forms.Form):
    """Correct an outlet's name or homepage, through `Outlet.update_details`."""

    name = forms.CharField(
        max_length=200, label="Name", help_text="As readers know it, e.g. The Kyiv Independent.",
        error_messages={"required": "Give the outlet a name."},
    )  # fmt: skip
    homepage = forms.CharField(
        max_length=500, required=False, label="Homepage", help_text="Its front page, starting with https://; or none.",
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "https://…"}),
    )  # fmt: skip

    def __init__(self, *args: Any, instance: Outlet, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": instance.name, "homepage": instance.homepage})
        super().__init__(*args, **kwargs)
        self.instance = instance

    def clean_name(self) -> str:
        """Return the name with its spaces tidied, unless another outlet already goes by it (in any case)."""
        name = " ".join(self.cleaned_data["name"].split())
        taken = Outlet.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if taken is not None:
            raise forms.ValidationError(
                f"Another outlet is already called “{taken.name}” ({taken.domain}): readers could not tell them "
                "apart. Choose a name that does.",
                code="taken",
            )
        return name

    def clean_homepage(self) -> str:
        """Accept a web address (http or https), or nothing."""
        homepage = self.cleaned_data["homepage"].strip()
        if homepage:
            URLValidator(schemes=["http", "https"], message="Enter a web address starting with https:// or http://.")(
                homepage
            )
        return homepage

    def save_details(self, *, by: Any) -> list[DetailChange]:
        """Save through the model, which announces the change to every dispute citing the outlet's sources."""
        data = self.cleaned_data
        return self.instance.update_details(by=by, name=data["name"], homepage=data["homepage"])
