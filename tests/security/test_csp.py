"""The portal sends a Content-Security-Policy that allows no inline script, and no template
relies on one (script blocks, on* attributes, javascript: URLs, style attributes)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import developer

pytestmark = [pytest.mark.django_db, pytest.mark.security]

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", ["/", "/login/", "/signup/"])
def test_anonymous_portal_pages_send_the_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]


@pytest.mark.parametrize("path", ["/scenarios/", "/catalogs/", "/services/usage/"])
def test_signed_in_portal_pages_allow_no_inline_script(client, path):
    _organization, user = developer("海洋实验室", "lab")
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    csp = policy(response)
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert '<script src="/static/js/portal.js" defer></script>' in response.text


def test_the_api_docs_load_their_script_from_the_site(client):
    _organization, user = developer("海洋实验室", "lab")
    client.force_login(user)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    csp = policy(page)
    assert csp["script-src"] == ["'self'"]
    # Swagger UI's styles and data: icons are allowed on this page alone.
    assert "'unsafe-inline'" in csp["style-src"]
    assert "data:" in csp["img-src"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    init = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', page.text)
    assert init, "the start-up script is served from the docs' own URL"
    script = client.get(init.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)


def test_no_template_holds_inline_script_or_style():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 20
    found = []
    for template in templates:
        text = template.read_text()
        for name, pattern in [
            ("inline <script> without a nonce", INLINE_SCRIPT),
            ("on* event attribute", EVENT_HANDLER),
            ("javascript: URL", JAVASCRIPT_URL),
            ("style attribute", STYLE_ATTRIBUTE),
            ("<style> block", STYLE_BLOCK),
        ]:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {name}")
    assert found == []


def test_the_template_scan_catches_an_inline_script():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="text/javascript">')
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script nonce="{{ request.csp_nonce }}">')
    assert EVENT_HANDLER.search('<select name="language" onchange="this.form.submit()">')
    assert STYLE_ATTRIBUTE.search('<label style="display:inline">')
