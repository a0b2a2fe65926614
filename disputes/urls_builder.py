"""URLs of the desk: builder (filled in by its views module)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
