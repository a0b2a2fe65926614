"""URLs of the desk: its home page."""

from django.urls import URLPattern, path

from .views import desk

urlpatterns: list[URLPattern] = [
    path("", desk.desk_home, name="desk-home"),
]
