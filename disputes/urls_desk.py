"""URLs of the desk: desk (filled in by its views module)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
