"""The Vietnamese catalogue: key pages render in Vietnamese, and no translation
breaks a placeholder.

The expected Vietnamese text is read from locale/vi/LC_MESSAGES/django.po, so
rewording a translation does not break these tests; a missing or broken one does.
"""

import gettext
import html
import re
from pathlib import Path

import polib
import pytest
from asgiref.local import Local
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real

from site_platform.models import Tenant
from site_platform.services.tenants import set_tenant_status
from tests.conftest import host_client

VI_PO = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"

# A Python %-placeholder (named or positional, with flags/width/precision) or a
# literal %%; and a str.format-style {name} placeholder.
PERCENT = re.compile(r"%%|%(?:\(\w+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE = re.compile(r"\{(\w*)\}")


def _reset_translation_caches():
    """Forget loaded catalogues so the freshly compiled .mo is read."""
    gettext._translations.clear()
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """Compile the .po files here rather than rely on scripts/setup having run."""
    call_command("compile_translations", verbosity=0)
    _reset_translation_caches()
    yield
    _reset_translation_caches()


@pytest.fixture(scope="module")
def vi_catalogue():
    return polib.pofile(str(VI_PO))


def vi(catalogue, msgid):
    entry = catalogue.find(msgid)
    assert entry is not None, f"{msgid!r} is not in the Vietnamese catalogue"
    assert entry.msgstr and "fuzzy" not in entry.flags, f"{msgid!r} has no Vietnamese translation"
    assert entry.msgstr != msgid
    return entry.msgstr


def vi_client(tenant=None):
    client = host_client(tenant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    return client


def text(response):
    return html.unescape(response.content.decode())


def test_catalogue_header_is_vietnamese(vi_catalogue):
    assert vi_catalogue.metadata["Language"] == "vi"
    assert "charset=UTF-8" in vi_catalogue.metadata["Content-Type"]
    assert vi_catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_gettext_returns_vietnamese():
    with translation.override("vi"):
        assert translation.gettext("Sign in") != "Sign in"
        assert translation.gettext("Vietnamese") == "Tiếng Việt"


@pytest.mark.django_db
def test_platform_home_in_vietnamese_with_the_language_cookie(tenant, vi_catalogue):
    response = vi_client().get("/")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="vi">' in page
    for msgid in ("Booking websites for language schools and teachers", "Schools on the platform"):
        assert vi(vi_catalogue, msgid) in page
        assert msgid not in page


@pytest.mark.django_db
def test_platform_home_in_vietnamese_with_accept_language(tenant, vi_catalogue):
    response = host_client().get("/", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 200
    assert vi(vi_catalogue, "Booking websites for language schools and teachers") in text(response)


@pytest.mark.django_db
def test_platform_home_stays_english_by_default(tenant):
    response = host_client().get("/")
    assert '<html lang="en">' in text(response)
    assert "Booking websites for language schools and teachers" in text(response)


@pytest.mark.django_db
def test_unknown_host_page_in_vietnamese(tenant, vi_catalogue):
    client = host_client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    response = client.get("/", HTTP_HOST="nobody.platform.test")
    assert response.status_code == 404
    page = text(response)
    assert vi(vi_catalogue, "Site not found") in page
    assert "Site not found" not in page
    expected = vi(vi_catalogue, "There is no site at %(host)s.") % {"host": "nobody.platform.test"}
    assert expected in page


@pytest.mark.django_db
def test_unavailable_tenant_page_in_vietnamese(tenant, vi_catalogue):
    set_tenant_status(tenant, Tenant.Status.SUSPENDED)
    response = vi_client(tenant).get("/")
    assert response.status_code == 503
    page = text(response)
    assert vi(vi_catalogue, "Temporarily unavailable") in page
    assert vi(vi_catalogue, "Please try again later.") in page
    assert "Temporarily unavailable" not in page


@pytest.mark.django_db
def test_tenant_landing_page_in_vietnamese(tenant, vi_catalogue):
    response = vi_client(tenant).get("/")
    assert response.status_code == 200
    page = text(response)
    assert '<html lang="vi">' in page
    assert vi(vi_catalogue, "Skip to content") in page
    assert vi(vi_catalogue, "Powered by %(platform)s") % {"platform": settings.PLATFORM_NAME} in page
    assert "Skip to content" not in page


def _placeholders(s, percent=True):
    return sorted(PERCENT.findall(s)) if percent else [], sorted(BRACE.findall(s))


def _pairs(entry):
    if entry.msgid_plural:
        for n, msgstr in entry.msgstr_plural.items():
            if msgstr:
                # Vietnamese has one form, used for every count: it follows msgid_plural.
                yield (entry.msgid_plural if n or len(entry.msgstr_plural) == 1 else entry.msgid), msgstr
    elif entry.msgstr:
        yield entry.msgid, entry.msgstr


def test_every_translation_keeps_the_placeholders(vi_catalogue):
    broken = []
    for entry in vi_catalogue:
        if entry.obsolete:
            continue
        percent = "python-format" in entry.flags  # elsewhere a % is just a percent sign
        for source, msgstr in _pairs(entry):
            if _placeholders(source, percent) != _placeholders(msgstr, percent):
                broken.append((entry.msgid, msgstr))
            elif "<" in source and sorted(re.findall(r"</?\w+", source)) != sorted(re.findall(r"</?\w+", msgstr)):
                broken.append((entry.msgid, msgstr))
    assert not broken, "translations whose placeholders or tags differ from the msgid:\n" + "\n".join(
        f"  {msgid!r} -> {msgstr!r}" for msgid, msgstr in broken
    )


def test_placeholder_check_catches_a_broken_translation():
    assert _placeholders("Hello %(name)s, {count} left") != _placeholders("Xin chào %(ten)s, còn {count}")
    assert _placeholders("%(ratio).1f:1") == _placeholders("%(ratio).1f:1")
    assert _placeholders("%%(n)s seats left") == _placeholders("Còn %%(n)s chỗ")
