import pytest

from articles.urlnorm import InvalidURL, normalise_url, registrable_domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://KyivIndependent.com/story/", "https://kyivindependent.com/story/"),
        ("HTTPS://www.example.com:443/a?utm_source=x&id=3#comments", "https://www.example.com/a?id=3"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://пример.рф/новости", "https://xn--e1afmkfd.xn--p1ai/новости"),
    ],
)
def test_normalise_url(raw: str, expected: str) -> None:
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter the address"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("ftp://example.com/file", "Only http:// and https://"),
        ("data:text/html,<script>", "Only http:// and https://"),
        ("https://user:pass@example.com/", "user name or password"),
        ("https://example.com\\@evil.com/", "backslash"),
        ("https://exa mple.com/", "spaces or control"),
        ("https://example.com/\x00", "spaces or control"),
        ("https:///path-only", "no host name"),
        ("https://example.com:99999/", "invalid port"),
        ("https://" + "a" * 2100 + ".com/", "longer than"),
    ],
)
def test_refuses_what_we_would_never_fetch(raw: str, message: str) -> None:
    with pytest.raises(InvalidURL, match=message):
        normalise_url(raw)


def test_registrable_domain_uses_the_bundled_suffix_list() -> None:
    assert registrable_domain("https://www.thestar.com.my/news/") == "thestar.com.my"
    assert registrable_domain("https://news.bbc.co.uk/x") == "bbc.co.uk"
