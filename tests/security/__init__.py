"""The security audit (issue 7, item 3; reference/reliability-performance.md §B.9), part of `make test`.

Here, each checked against the resolver so that a new view cannot escape it:
- test_pages.py            B-T3: every route, every role, full page and htmx: no inline code, the CSP on all
- test_template_sources.py B-T3/B-T8: templates, modules and scripts by source: no |safe, mark_safe, hx-on…
- test_csrf.py             B-T2: every route that takes a POST refuses it without the page's token
- test_anonymous.py        B-T12: readers' pages (404 included) set no cookie, no Vary: Cookie, are public
- test_xss_browser.py      B-T11: the hostile corpus in Chromium on the index, search, desk and review
- test_fuzz.py             hypothesis on the import format and the quote locator

Elsewhere, and not repeated here:
- B-T1 check --deploy with production settings: tests/test_settings.py
- B-T4 cookie flags, no session fixation: tests/test_sign_in_security.py
- B-T11 on the public dispute and source pages: disputes/tests/test_public_xss.py,
  tests/browser/test_public_sources.py
- CSRF on each app's own endpoints beside their views' tests (test_builder, test_review, test_statements…)
"""
