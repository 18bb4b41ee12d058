import pytest

from integrations.models import CalendarFeed
from tests.fakes.ics_server import ICSServer


@pytest.fixture(autouse=True)
def _calendar_feed_settings(settings):
    # The fake calendar server listens on loopback, which production refuses.
    settings.CALENDAR_FEEDS_ALLOW_PRIVATE_ADDRESSES = True
    settings.CALENDAR_FEED_TIMEOUT_SECONDS = 1


@pytest.fixture
def ics_server():
    server = ICSServer()
    yield server
    server.stop()


def make_feed(tenant, teacher, url, *, name="Google Calendar", **fields):
    return CalendarFeed.objects.create(tenant=tenant, teacher=teacher, name=name, url=url, **fields)
