"""A session's booking page shows times in the zone of the teacher who teaches that
session (not the event type's first host) until the student picks a zone."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.models import Session
from tests.booking.booking_helpers import future, make_class
from tests.booking.helpers import make_teacher
from tests.conftest import host_client

pytestmark = pytest.mark.django_db


def test_session_page_uses_the_sessions_teachers_zone(tenant, student):
    host = make_teacher(tenant, "host@hanoi.test", zone="Europe/London")
    substitute = make_teacher(tenant, "sub@hanoi.test", zone="Asia/Ho_Chi_Minh")
    event_type, _sessions = make_class(tenant, host, sessions=1)
    start = future(10)
    session = Session.objects.create(tenant=tenant, event_type=event_type, teacher=substitute, start=start,
                                     end=start + timedelta(hours=1), capacity=5)

    page = host_client(tenant, user=student).get(f"/book/session/{session.pk}/").content.decode()

    assert '<option value="Asia/Ho_Chi_Minh" selected>' in page
    assert '<option value="Europe/London" selected>' not in page
    local = start.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.strftime("%H:%M") in page
