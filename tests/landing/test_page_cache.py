"""The page cache: anonymous landing pages come from the cache with no database
query for page content, and are purged when the page is published or a booking
changes the seats left."""

import re

import pytest
from django.contrib.messages import constants
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.services import bookings as booking_service
from tests.conftest import host_client, make_user
from tests.landing.conftest import full_body, make_workshops, set_body

pytestmark = pytest.mark.django_db

BLOCKS = [{"type": "workshop_list", "value": {"heading": "Upcoming classes", "intro": "", "kinds": [],
                                              "show_filters": True, "limit": 12}}]


@pytest.fixture
def school(tenant):
    teachers = [make_user("linh@hanoi.test", first_name="Linh", last_name="Nguyen")]
    event_types = make_workshops(tenant, teachers, 2, sessions_each=1, capacity=5)
    set_body(tenant, full_body(widget_event_type=event_types[1].slug))
    return event_types


def get(client, path="/", **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries]


def test_second_visit_is_served_from_the_cache_without_queries(tenant, school):
    client = host_client(tenant)
    first, first_queries = get(client)
    second, second_queries = get(client)

    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert len(first_queries) > 5
    assert second_queries == []
    assert second.content == first.content or _without_csrf(second) == _without_csrf(first)
    assert "Accept-Language" in second["Vary"] and "Cookie" in second["Vary"]


def _without_csrf(response):
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", response.content)


def test_each_visitor_gets_their_own_csrf_token(tenant, school):
    host_client(tenant).get("/")
    client = host_client(tenant)
    response = client.get("/")
    assert response["X-Page-Cache"] == "hit"
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content).group(1).decode()
    assert token != "__landing_csrf_token__"
    # The language switcher works from a cached page: the token matches the visitor's cookie.
    csrf_client = host_client(tenant)
    csrf_client.handler.enforce_csrf_checks = True
    page = csrf_client.get("/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    changed = csrf_client.post("/i18n/setlang/", {"language": "vi", "next": "/", "csrfmiddlewaretoken": token})
    assert changed.status_code == 302


def test_publishing_purges(tenant, school):
    client = host_client(tenant)
    get(client)
    assert get(client)[0]["X-Page-Cache"] == "hit"

    body = full_body(widget_event_type=school[1].slug)
    body[0]["value"]["title"] = "A brand new title"
    set_body(tenant, body)

    response, _queries = get(client)
    assert response["X-Page-Cache"] == "miss"
    assert "A brand new title" in response.content.decode()


def test_a_booking_purges_and_the_page_shows_the_new_seats_left(tenant, school, student,
                                                                 django_capture_on_commit_callbacks):
    set_body(tenant, BLOCKS)
    client = host_client(tenant)
    assert "4 seats left" not in get(client)[0].content.decode()
    assert get(client)[0]["X-Page-Cache"] == "hit"

    session = school[0].sessions.get()
    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_service.create_booking(event_type=school[0], session=session, attendee=student, seats=1,
                                                 actor=student)

    response, _queries = get(client)
    assert response["X-Page-Cache"] == "miss"
    html = response.content.decode()
    assert "4 seats left" in html

    assert get(client)[0]["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        booking_service.cancel_booking(booking, reason="", actor=student, by_role="student")
    response, _queries = get(client)
    assert response["X-Page-Cache"] == "miss" and "4 seats left" not in response.content.decode()


def test_another_tenants_booking_leaves_this_cache_alone(tenant, other_tenant, school, student,
                                                         django_capture_on_commit_callbacks):
    theirs = make_workshops(other_tenant, [make_user("mai@saigon.test")], 1, sessions_each=1)[0]
    client = host_client(tenant)
    get(client)
    with django_capture_on_commit_callbacks(execute=True):
        booking_service.create_booking(event_type=theirs, session=theirs.sessions.get(), attendee=student,
                                       actor=student)
    assert get(client)[0]["X-Page-Cache"] == "hit"


def test_tenants_never_share_cached_pages(tenant, other_tenant, school):
    set_body(other_tenant, [{"type": "text", "value": "<p>Saigon only</p>"}])
    get(host_client(tenant))
    theirs, _queries = get(host_client(other_tenant))
    assert theirs["X-Page-Cache"] == "miss"
    assert "Saigon only" in theirs.content.decode() and "Workshop 000" not in theirs.content.decode()


def test_signed_in_visitors_are_never_served_or_stored(tenant, school, student):
    anonymous = host_client(tenant)
    get(anonymous)
    signed_in = host_client(tenant, user=student)
    response, queries = get(signed_in)
    assert "X-Page-Cache" not in response and queries
    assert "Sign out" in response.content.decode()
    response, _queries = get(signed_in)
    assert "X-Page-Cache" not in response
    assert "Sign out" not in get(anonymous)[0].content.decode()


def test_responses_with_messages_are_never_cached(tenant, school, settings):
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    client = host_client(tenant)
    session = client.session
    session["_messages"] = '[["__json_message",0,%d,"Your booking is cancelled."]]' % constants.SUCCESS
    session.save()
    client.cookies["sessionid"] = session.session_key

    response, _queries = get(client)
    assert "Your booking is cancelled." in response.content.decode()
    assert "X-Page-Cache" not in response
    # The next anonymous visitor does not see it.
    assert "Your booking is cancelled." not in get(host_client(tenant))[0].content.decode()


def test_language_time_zone_and_filters_have_their_own_entries(tenant, school):
    client = host_client(tenant)
    get(client)
    vietnamese = host_client(tenant, )
    vietnamese.cookies["django_language"] = "vi"
    assert get(vietnamese)[0]["X-Page-Cache"] == "miss"
    assert get(vietnamese)[0]["X-Page-Cache"] == "hit"
    assert get(client, tz="Asia/Tokyo")[0]["X-Page-Cache"] == "miss"
    assert get(client, kind="workshop")[0]["X-Page-Cache"] == "miss"
    assert get(client, kind="workshop")[0]["X-Page-Cache"] == "hit"
    # Parameters the pages do not read are not cached under new keys at all.
    response, _queries = get(client, utm_source="newsletter")
    assert "X-Page-Cache" not in response


def test_embeds_are_cached_too_and_keep_their_headers(tenant, school, settings):
    client = host_client(tenant)
    first = client.get("/embed/workshops/")
    second = client.get("/embed/workshops/")
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert "frame-ancestors 'self'" in second["Content-Security-Policy"]
    assert "X-Frame-Options" not in second


def test_the_cache_can_be_switched_off(tenant, school, settings):
    settings.LANDING_PAGE_CACHE_SECONDS = 0
    client = host_client(tenant)
    get(client)
    assert "X-Page-Cache" not in get(client)[0]
