"""URLs of the desk: notifications of what happened to my disputes, or awaits my review."""

from django.urls import URLPattern, path

from .views import notifications

urlpatterns: list[URLPattern] = [
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_mark_read, name="notifications-read"),
]
