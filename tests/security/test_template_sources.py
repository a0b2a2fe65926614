"""No template or module of ours turns escaping off or writes inline code (reference B-T3, B-T8), by source.

The rendered scan (test_pages.py) sees what today's data makes of a page; this one reads every template,
Python module and script of ours, so a branch no fixture reaches is covered too. Each exception is listed
in ALLOWED with the reason it is safe, and an entry no longer needed fails the test, so the list stays true.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)

TEMPLATE_PATTERNS = {
    "|safe": re.compile(r"\|\s*safe\b"),
    "|safeseq": re.compile(r"\|\s*safeseq\b"),
    "autoescape off": re.compile(r"{%\s*autoescape\s+off\s*%}"),
    "hx-on": re.compile(r"\bhx-on", re.IGNORECASE),
    "style=": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "<style>": re.compile(r"<style\b", re.IGNORECASE),
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>", re.IGNORECASE),
    "on*= handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript:": re.compile(r"javascript:", re.IGNORECASE),
}
PYTHON_PATTERNS = {
    "mark_safe(": re.compile(r"\bmark_safe\("),
    "SafeString(": re.compile(r"\bSafeString\("),
    "is_safe=True": re.compile(r"\bis_safe\s*=\s*True"),
    "|safe": re.compile(r"\|\s*safe\b"),
    "hx-on": re.compile(r"\bhx-on"),
    "style=": re.compile(r"""<[^>'"]*\sstyle\s*=""", re.IGNORECASE),
}
SCRIPT_PATTERNS = {
    "innerHTML": re.compile(r"\b(?:inner|outer)HTML\b"),
    "insertAdjacentHTML": re.compile(r"\binsertAdjacentHTML\b"),
    "document.write": re.compile(r"\bdocument\.write"),
    "eval": re.compile(r"\beval\s*\(|\bnew\s+Function\b|\bsetTimeout\s*\(\s*['\"]"),
    ".style": re.compile(r"\.style\.|setAttribute\(\s*['\"]style"),
}

# (file, what) -> why it is safe. Keep this short: each entry is a promise someone has to keep.
ALLOWED = {
    ("templates/disputes/email/digest.txt", "autoescape off"): (
        "a plain-text email, never served as HTML: escaping would show &amp; and &lt; to the reader"
    ),
    ("disputes/templatetags/public_pages.py", "mark_safe("): (
        "ld_json: the JSON-LD block, with <, > and & escaped as json_script does, so no text can end the element"
    ),
    ("disputes/views/feeds.py", "SafeString("): "an empty SafeString(''), for an item with no text",
}


def sources() -> dict[str, tuple[Path, dict[str, re.Pattern[str]]]]:
    """Return every file of ours to scan, by its path from the project root, with the patterns for its kind."""
    found: dict[str, tuple[Path, dict[str, re.Pattern[str]]]] = {}
    for path in (ROOT / "templates").rglob("*"):
        if path.suffix in {".html", ".txt", ".xml"}:
            found[str(path.relative_to(ROOT))] = (path, TEMPLATE_PATTERNS)
    for package in ("articles", "disputes", "config"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            found[str(path.relative_to(ROOT))] = (path, PYTHON_PATTERNS)
        for path in (ROOT / package).rglob("templates/**/*.html"):
            found[str(path.relative_to(ROOT))] = (path, TEMPLATE_PATTERNS)
    for path in (ROOT / "static" / "js").glob("*.js"):  # not vendor/: htmx is audited upstream
        found[str(path.relative_to(ROOT))] = (path, SCRIPT_PATTERNS)
    return found


def findings() -> dict[tuple[str, str], list[int]]:
    """Return each (file, what) found, with the line numbers."""
    found: dict[tuple[str, str], list[int]] = {}
    for name, (path, patterns) in sources().items():
        text = path.read_text(encoding="utf-8")
        for what, pattern in patterns.items():
            for match in pattern.finditer(text):
                found.setdefault((name, what), []).append(text.count("\n", 0, match.start()) + 1)
    return found


def test_the_scan_reads_our_templates_modules_and_scripts() -> None:
    names = set(sources())
    assert {"templates/base.html", "disputes/views/public.py", "config/settings.py", "static/js/site.js"} <= names
    assert len([name for name in names if name.startswith("templates/")]) >= 30


def test_no_escaping_turned_off_and_no_inline_code() -> None:
    found = findings()
    unexplained = {f"{name}:{lines} {what}" for (name, what), lines in found.items() if (name, what) not in ALLOWED}
    assert sorted(unexplained) == []


def test_every_allowance_is_still_needed() -> None:
    assert sorted(set(ALLOWED) - set(findings())) == []


def test_the_patterns_catch_what_they_are_for() -> None:
    bad_templates = [
        "{{ quote.exact|safe }}", "{{ x | safe }}", "{% autoescape off %}{{ x }}{% endautoescape %}",
        '<button hx-on:click="go()">', '<p class="a" style="color:red">', "<style>p{}</style>",
        "<script>alert(1)</script>", '<script type="module">x</script>', '<a href="#" onclick="x()">',
        '<a href="javascript:void(0)">',
    ]  # fmt: skip
    for snippet in bad_templates:
        assert any(p.search(snippet) for p in TEMPLATE_PATTERNS.values()), snippet
    good_templates = [
        '<script src="/static/js/site.js" defer></script>', "{{ data|ld_json }}", '<p class="note">',
        '<button hx-post="/x/" hx-target="#y">', "{{ x|safe_address }}",
    ]  # fmt: skip
    for snippet in good_templates:
        assert not any(p.search(snippet) for p in TEMPLATE_PATTERNS.values()), snippet
    for snippet in ["return mark_safe(text)", "SafeString(value)", "@register.filter(is_safe=True)"]:
        assert any(p.search(snippet) for p in PYTHON_PATTERNS.values()), snippet
    for snippet in ["el.innerHTML = x", "box.insertAdjacentHTML('beforeend', x)", "eval(x)", "el.style.color = 'red'"]:
        assert any(p.search(snippet) for p in SCRIPT_PATTERNS.values()), snippet
