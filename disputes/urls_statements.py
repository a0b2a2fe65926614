"""URLs of the desk: statements (filled in by its views module)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
