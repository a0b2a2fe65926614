"""Typed request classes shared by both apps, so views say what they receive."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: AbstractBaseUser | AnonymousUser


class AuthedHtmxRequest(HtmxHttpRequest):
    user: AbstractBaseUser
