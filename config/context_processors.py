from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """Give every template the tracker's public name and the newsroom's time zone."""
    return {"SITE_NAME": settings.SITE_NAME, "NEWSROOM_TIME_ZONE": settings.TIME_ZONE}
