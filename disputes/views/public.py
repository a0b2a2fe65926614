from django.http import HttpRequest, HttpResponse


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def dispute_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse("")
