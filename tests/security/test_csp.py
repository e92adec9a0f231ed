"""Every page carries the content security policy, and none needs what it forbids: no inline script, no event
handler attribute, no ``<style>`` element (style attributes stay allowed for the charts' tooltips)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/charts/",
    "/oi-flow/",
    "/volatility/",
    "/futures/",
    "/participants/",
    "/overview/",
    "/system/",
    "/alerts/",
    "/broker/",
    "/accounts/login/",
]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("ops", password="x", is_staff=True, is_superuser=True))
    return client


def _policy(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("path", PAGES)
def test_each_page_has_the_policy_and_no_inline_code(staff: Client, path: str) -> None:
    response = staff.get(path)
    assert response.status_code == 200
    policy = _policy(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), path
    assert not HANDLER.findall(html), path
    assert "<style" not in html.lower(), path


def test_the_admin_runs_under_the_policy_without_inline_scripts(staff: Client) -> None:
    response = staff.get("/admin/")
    assert response.status_code == 200
    assert _policy(response["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert not INLINE_SCRIPT.findall(response.content.decode())


def test_the_api_docs_load_their_script_from_a_url_and_only_they_allow_an_inline_style(staff: Client) -> None:
    page = staff.get("/api/v1/docs/")
    assert page.status_code == 200
    policy = _policy(page["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src-elem"] == ["'self'", "'unsafe-inline'"]
    html = page.content.decode()
    assert not INLINE_SCRIPT.findall(html)
    script_url = re.search(r'<script src="(/api/v1/docs/\?[^"]*script=[^"]*)"', html)
    assert script_url is not None
    script = staff.get(script_url.group(1).replace("&amp;", "&"))
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
