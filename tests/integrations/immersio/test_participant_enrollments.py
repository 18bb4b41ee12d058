"""Group bookings: one Immersio enrollment per participant, with stable external ids
(the participant's uid); participants who give up their seat, are replaced or are
removed are withdrawn. Driven through the booking app's participant services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import BookingParticipant, EventType
from booking.services import participants as group
from booking.services.bookings import cancel_booking, create_booking
from booking.services.sessions import create_session
from integrations.immersio.tasks import deliver_push
from integrations.models import ImmersioLink, PushOutbox

from .conftest import ORG

pytestmark = pytest.mark.django_db


def mapped_event_type(tenant, names):
    return EventType.objects.create(tenant=tenant, kind="live_class", title="IELTS", slug=f"ielts-{names}",
                                    immersio_course_id="c1", is_published=True, seats_per_session=8,
                                    max_seats_per_booking=4, minimum_notice_minutes=0, participant_names=names)


@pytest.fixture
def course(fake, tenant, connection):
    fake.add_course(ORG, "c1", title="IELTS")
    return mapped_event_type(tenant, "required")


def new_session(event_type, teacher):
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    return create_session(event_type=event_type, teacher=teacher, start=start, end=start + timedelta(hours=1))


def enrollments(fake):
    return {e["external_id"]: e for e in fake.orgs[ORG].enrollments.values()}


def people(*names):
    return [{"name": name, "email": f"{name.lower()}@example.com"} for name in names]


def participant(booking, name):
    return BookingParticipant.objects.get(booking__in=[booking.pk], name=name)


def test_one_enrollment_per_participant_with_their_own_external_id(fake, course, teacher, student,
                                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = create_booking(event_type=course, session=new_session(course, teacher), attendee=student,
                                 seats=3, participants=people("An", "Binh", "Chi"))
    an, binh, chi = (participant(booking, name) for name in ("An", "Binh", "Chi"))
    got = enrollments(fake)
    assert set(got) == {str(an.uid), str(binh.uid), str(chi.uid)}
    assert {e["student_email"] for e in got.values()} == {"an@example.com", "binh@example.com", "chi@example.com"}
    assert all(e["seats"] == 1 and e["status"] == "confirmed" and e["course_id"] == "c1" for e in got.values())

    for row in PushOutbox.objects.all():  # every task runs again: still three
        deliver_push.delay(row.pk)
    assert len(fake.requests_to("POST", "/v1/enrollments")) == 3


def test_a_booking_without_participants_keeps_one_enrollment_for_the_attendee(fake, tenant, connection, teacher,
                                                                             student,
                                                                             django_capture_on_commit_callbacks):
    fake.add_course(ORG, "c1", title="IELTS")
    event_type = mapped_event_type(tenant, "not_asked")
    with django_capture_on_commit_callbacks(execute=True):
        booking = create_booking(event_type=event_type, session=new_session(event_type, teacher), attendee=student,
                                 seats=2)
    got = enrollments(fake)
    assert list(got) == [str(booking.uid)]
    assert got[str(booking.uid)]["seats"] == 2 and got[str(booking.uid)]["student_email"] == "student@example.com"


def test_replaced_released_and_removed_participants_are_withdrawn(fake, course, teacher, student,
                                                                 django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    with commit(execute=True):
        booking = create_booking(event_type=course, session=new_session(course, teacher), attendee=student,
                                 seats=4, participants=people("An", "Binh", "Chi", "Dao"))
    an, binh, chi, dao = (participant(booking, name) for name in ("An", "Binh", "Chi", "Dao"))
    first_ids = {external: e["id"] for external, e in enrollments(fake).items()}

    with commit(execute=True):
        dung = group.replace_participant(booking, an, name="Dung", email="dung@example.com", actor=student)
    with commit(execute=True):
        group.give_up_own_seat(binh, token=binh.manage_token)
    with commit(execute=True):
        group.remove_participant(booking, chi, actor=student)

    got = enrollments(fake)
    assert {external: e["status"] for external, e in got.items()} == {
        str(an.uid): "cancelled", str(binh.uid): "cancelled", str(chi.uid): "cancelled",
        str(dao.uid): "confirmed", str(dung.uid): "confirmed"}
    assert got[str(dung.uid)]["student_email"] == "dung@example.com"
    # The first enrollments were changed in place, not created again: their ids hold.
    assert all(got[external]["id"] == enrollment_id for external, enrollment_id in first_ids.items())
    assert len(fake.requests_to("POST", "/v1/enrollments")) == 5
    for old in (an, binh, chi):
        assert len(fake.requests_to("PATCH", f"/v1/enrollments/{first_ids[str(old.uid)]}")) == 1
    assert ImmersioLink.objects.filter(kind="participant").count() == 5

    # Cancelling the booking cancels the enrollments still active, once each.
    with commit(execute=True):
        cancel_booking(booking, reason="Trip cancelled")
    got = enrollments(fake)
    assert got[str(dao.uid)]["status"] == "cancelled" and got[str(dung.uid)]["status"] == "cancelled"
    assert len(fake.requests_to("PATCH", "/v1/enrollments/")) == 5
    for row in PushOutbox.objects.all():
        deliver_push.delay(row.pk)
    assert len(fake.requests_to("PATCH", "/v1/enrollments/")) == 5
    assert set(PushOutbox.objects.values_list("status", flat=True)) == {"sent"}


def test_the_last_participant_giving_up_cancels_one_enrollment_once(fake, course, teacher, student,
                                                                   django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    with commit(execute=True):
        booking = create_booking(event_type=course, session=new_session(course, teacher), attendee=student,
                                 seats=1, participants=people("An"))
    an = participant(booking, "An")
    with commit(execute=True):
        group.give_up_own_seat(an, token=an.manage_token)
    [enrollment] = fake.orgs[ORG].enrollments.values()
    assert enrollment["external_id"] == str(an.uid) and enrollment["status"] == "cancelled"
    assert len(fake.requests_to("PATCH", f"/v1/enrollments/{enrollment['id']}")) == 1


def test_a_participant_named_later_is_enrolled_when_named(fake, tenant, connection, teacher, student,
                                                         django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    fake.add_course(ORG, "c1", title="IELTS")
    event_type = mapped_event_type(tenant, "later")
    with commit(execute=True):
        booking = create_booking(event_type=event_type, session=new_session(event_type, teacher), attendee=student,
                                 seats=2, participants=people("An"))
    an = participant(booking, "An")
    unnamed = BookingParticipant.objects.get(booking=booking, email="")
    assert set(enrollments(fake)) == {str(an.uid)}
    with commit(execute=True):
        group.name_participant(booking, unnamed, name="Em", email="em@example.com", actor=student)
    got = enrollments(fake)
    assert set(got) == {str(an.uid), str(unnamed.uid)}
    assert got[str(unnamed.uid)]["student_email"] == "em@example.com"


def test_seats_added_to_a_free_group_are_enrolled(fake, course, teacher, student,
                                                  django_capture_on_commit_callbacks):
    commit = django_capture_on_commit_callbacks
    with commit(execute=True):
        booking = create_booking(event_type=course, session=new_session(course, teacher), attendee=student,
                                 seats=1, participants=people("An"))
    with commit(execute=True):
        group.add_participants(booking, people("Giang"), actor=student)
    giang = participant(booking, "Giang")
    assert enrollments(fake)[str(giang.uid)]["status"] == "confirmed"
    assert len(fake.orgs[ORG].enrollments) == 2


def test_rescheduling_a_group_moves_each_active_participants_enrollment(fake, course, teacher, student,
                                                                        django_capture_on_commit_callbacks):
    from booking.services.bookings import reschedule_booking

    commit = django_capture_on_commit_callbacks
    first = new_session(course, teacher)
    later_start = first.start + timedelta(days=7)
    second = create_session(event_type=course, teacher=teacher, start=later_start,
                            end=later_start + timedelta(hours=1))
    with commit(execute=True):
        booking = create_booking(event_type=course, session=first, attendee=student, seats=2,
                                 participants=people("An", "Binh"))
    an, binh = participant(booking, "An"), participant(booking, "Binh")
    with commit(execute=True):
        group.give_up_own_seat(binh, token=binh.manage_token)
    with commit(execute=True):
        reschedule_booking(booking, new_session=second, actor=student)
    got = enrollments(fake)
    moved = later_start.isoformat().replace("+00:00", "Z")
    assert got[str(an.uid)]["session_starts_at"] == moved and got[str(an.uid)]["status"] == "confirmed"
    assert got[str(binh.uid)]["status"] == "cancelled"  # withdrawn before: not moved
    assert got[str(binh.uid)]["session_starts_at"] != moved
