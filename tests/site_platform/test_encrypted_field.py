"""Secrets at rest: the raw column holds no plaintext; keys can be rotated."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from integrations.models import CalendarFeed
from site_platform.fields import _fernet_for, rotate_value

pytestmark = pytest.mark.django_db

SECRET = "https://calendar.example.com/private-4f9a1c77e0/basic.ics"


def raw_url(feed):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT url FROM {CalendarFeed._meta.db_table} WHERE id = %s", [feed.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def feed(tenant, teacher):
    return CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name="Personal", url=SECRET)


def test_raw_column_holds_no_plaintext(feed):
    stored = raw_url(feed)
    assert stored.startswith("fernet:")
    assert "calendar.example.com" not in stored and "4f9a1c77e0" not in stored
    assert CalendarFeed.objects.get(pk=feed.pk).url == SECRET


def test_same_value_encrypts_differently_each_time(feed, tenant, teacher):
    second = CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name="Again", url=SECRET)
    assert raw_url(second) != raw_url(feed)


def test_rotation_new_key_first_still_reads_old_values(feed, settings):
    old_keys = settings.FIELD_ENCRYPTION_KEY
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{old_keys}"
    assert CalendarFeed.objects.get(pk=feed.pk).url == SECRET

    rotated = rotate_value(raw_url(feed))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CalendarFeed._meta.db_table} SET url = %s WHERE id = %s", [rotated, feed.pk])
    settings.FIELD_ENCRYPTION_KEY = new_key  # the old keys are gone
    assert CalendarFeed.objects.get(pk=feed.pk).url == SECRET


def test_a_value_no_key_can_read_is_a_clear_error(feed, settings):
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ImproperlyConfigured, match="cannot be read with any key"):
        CalendarFeed.objects.get(pk=feed.pk)


def test_a_malformed_key_is_a_clear_error():
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        _fernet_for("not-a-key")


def test_rotate_command_re_encrypts_every_secret_so_the_old_key_can_go(feed, tenant, teacher, settings):
    from django.core.management import call_command

    second = CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name="Work", url=SECRET + "?work")
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = f"{new_key},{settings.FIELD_ENCRYPTION_KEY}"
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))
    settings.FIELD_ENCRYPTION_KEY = new_key
    assert CalendarFeed.objects.get(pk=feed.pk).url == SECRET
    assert CalendarFeed.objects.get(pk=second.pk).url == SECRET + "?work"
