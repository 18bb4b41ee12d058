"""Participants in the admin: the bookings list names them (searchable), the sessions
CSV export lists each participant, the event type form takes the naming rule; another
tenant's admin sees none of it."""

import csv
import io

import pytest

from booking.models import EventType
from booking.services import bookings
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_teacher
from tests.conftest import host_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant, other_tenant, tenant_admin, other_tenant_admin, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, slug="kids", title="Kids' English",
                                        participant_names=EventType.ParticipantNames.LATER)
    parent = make_user("parent@example.com", first_name="Hoa", last_name="Tran")
    group = bookings.create_booking(event_type=event_type, session=session, attendee=parent, seats=3,
                                    participants=[{"name": "Minh", "email": "minh@kids.test"},
                                                  {"name": "Lan", "email": "lan@kids.test"}])
    single = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("solo@example.com"),
                                     seats=1, participants=[{"name": "Solo", "email": "solo@example.com"}])
    minh_teacher = make_teacher(other_tenant, "minh@saigon.test")
    their_type, (their_session,) = make_class(other_tenant, minh_teacher, slug="secret",
                                              participant_names=EventType.ParticipantNames.REQUIRED)
    bookings.create_booking(event_type=their_type, session=their_session, attendee=make_user("boss@corp.test"),
                            seats=1, participants=[{"name": "Secret", "email": "secret@corp.test"}])
    return {"group": group, "single": single, "session": session, "admin": host_client(user=tenant_admin),
            "other_admin": host_client(user=other_tenant_admin)}


def test_bookings_list_names_participants_and_finds_them(world):
    page = world["admin"].get("/admin/bookings/").content.decode()
    assert "Participants" in page
    assert "Minh &lt;minh@kids.test&gt;; Lan &lt;lan@kids.test&gt;; (name to come)" in page
    assert "secret@corp.test" not in page
    found = world["admin"].get("/admin/bookings/?q=lan@kids").content.decode()
    assert "parent@example.com" in found and "solo@example.com" not in found
    assert "secret@corp.test" not in world["admin"].get("/admin/bookings/?q=secret@corp").content.decode()
    assert "minh@kids.test" not in world["other_admin"].get("/admin/bookings/?q=minh@kids").content.decode()


def test_sessions_csv_lists_each_participant(world):
    response = world["admin"].get("/admin/sessions/export/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    [row] = rows
    assert row["attendees"] == ("Minh <minh@kids.test> (booked by parent@example.com); "
                                "Lan <lan@kids.test> (booked by parent@example.com); "
                                "(name to come) (booked by parent@example.com); Solo <solo@example.com>")
    other = world["other_admin"].get("/admin/sessions/export/?format=csv").content.decode()
    assert "minh@kids.test" not in other and "secret@corp.test" in other


def test_event_type_form_sets_the_naming_rule_for_classes_only(world, tenant, teacher):
    from tests.booking.test_admin import event_type_post

    base = {"hosts-0-teacher": teacher.pk, "price": "0", "questions": "[]"}
    refused = world["admin"].post("/admin/event-types/new/", event_type_post(
        tenant, **base, participant_names="required", participant_names_cutoff_hours="24"))
    assert refused.status_code == 200
    assert "Only live classes and workshops take named participants." in refused.content.decode()
    assert not EventType.objects.filter(slug="ielts-coaching").exists()

    made = world["admin"].post("/admin/event-types/new/", event_type_post(
        tenant, **base, kind="workshop", seats_per_session="12", max_seats_per_booking="5",
        participant_names="later", participant_names_cutoff_hours="48"))
    assert made.status_code == 302
    created = EventType.objects.get(slug="ielts-coaching")
    assert (created.participant_names, created.participant_names_cutoff_hours) == ("later", 48)
    # Left out of the form (older clients): no names asked.
    world["admin"].post("/admin/event-types/new/", event_type_post(tenant, **base, slug="plain-one"))
    assert EventType.objects.get(slug="plain-one").participant_names == "not_asked"


def test_a_naming_cutoff_over_a_year_is_refused(world, tenant, teacher):
    from tests.booking.test_admin import event_type_post

    base = {"hosts-0-teacher": teacher.pk, "price": "0", "questions": "[]", "kind": "workshop",
            "seats_per_session": "12", "max_seats_per_booking": "5", "participant_names": "later"}
    refused = world["admin"].post("/admin/event-types/new/", event_type_post(
        tenant, **base, participant_names_cutoff_hours="999999999"))
    assert refused.status_code == 200
    assert "Ensure this value is less than or equal to 8760." in refused.content.decode()
    assert not EventType.objects.filter(slug="ielts-coaching").exists()
