"""Group bookings with named participants: the services (booking/services/participants.py)
and the emails each participant and the booker receive."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from booking.errors import BookingError
from booking.models import Booking, BookingParticipant, EventType, Session, WhitelistEntry
from booking.services import bookings
from booking.services import participants as group
from site_platform.models import AuditEntry
from tests.booking.booking_helpers import make_class
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

REQUIRED = EventType.ParticipantNames.REQUIRED
LATER = EventType.ParticipantNames.LATER

KIDS = [{"name": "Minh", "email": "minh@kids.test"}, {"name": "Lan", "email": "lan@kids.test"},
        {"name": "Bao", "email": "bao@kids.test"}]



@pytest.fixture
def kids_class(tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, slug="kids", title="Kids' English",
                                        participant_names=REQUIRED, max_seats_per_booking=6)
    return event_type, session


@pytest.fixture
def parent(db):
    return make_user("parent@example.com", first_name="Hoa", last_name="Tran")


def book(event_type, session, attendee, participants, **kwargs):
    return bookings.create_booking(event_type=event_type, session=session, attendee=attendee,
                                   seats=len(participants), participants=participants, **kwargs)


def seats_taken(session):
    session.refresh_from_db()
    return session.seats_taken


def ics_of(message):
    [(name, content, _mime)] = [a for a in message.attachments if a[0].endswith(".ics")]
    return Calendar.from_ical(content)


# Booking a group --------------------------------------------------------------------------------

def test_group_of_five_into_four_seats_left_is_refused_whole_and_takes_nothing(kids_class, parent):
    event_type, session = kids_class
    Session.objects.filter(pk=session.pk).update(seats_taken=6)
    five = KIDS + [{"name": "Huy", "email": "huy@kids.test"}, {"name": "Vy", "email": "vy@kids.test"}]

    with pytest.raises(BookingError) as refused:
        book(event_type, session, parent, five)

    assert refused.value.message == "This session is fully booked."
    assert seats_taken(session) == 6
    assert not Booking.objects.exists()
    assert not BookingParticipant.objects.exists()
    # Four fit.
    booking = book(event_type, session, parent, five[:4])
    assert booking.seats == 4 and seats_taken(session) == 10


def test_each_participant_gets_their_own_confirmation_with_ics_and_manage_link(kids_class, parent, run_on_commit):
    event_type, session = kids_class

    booking = run_on_commit(book, event_type, session, parent, KIDS)

    assert booking.status == Booking.Status.CONFIRMED and booking.seats == 3 and seats_taken(session) == 3
    rows = list(booking.participants.order_by("pk"))
    assert [(p.name, p.email, p.status) for p in rows] == [(k["name"], k["email"], "active") for k in KIDS]
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "parent@example.com" in " ".join(by_recipient)  # the booker's own confirmation
    for participant in rows:
        [message] = [m for m in mail.outbox if participant.email in m.to[0]]
        assert message.subject.startswith("You are booked: Kids' English")
        assert participant.manage_path() in message.body
        assert booking.manage_token not in message.body  # never the booker's link
        event = [c for c in ics_of(message).walk("VEVENT")][0]
        assert str(event["uid"]).startswith(f"booking-{booking.uid}")
        assert participant.email in str(event["attendee"])


def test_names_are_required_when_the_event_type_says_so(kids_class, parent):
    event_type, session = kids_class

    with pytest.raises(BookingError) as refused:
        book(event_type, session, parent, [KIDS[0], {"name": "", "email": ""}])

    assert refused.value.message == "Give the name and email of participant 2."
    assert not Booking.objects.exists() and seats_taken(session) == 0


@pytest.mark.parametrize("rows, message", [
    ([{"name": "Minh", "email": "not-an-email"}], "“not-an-email” is not a valid email address."),
    ([{"name": "Minh", "email": "m@kids.test"}, {"name": "Minh 2", "email": "M@kids.test"}],
     "m@kids.test is named twice in this group."),
    ([{"name": "", "email": "m@kids.test"}], "Give the name and email of participant 1."),
])
def test_bad_participant_input_is_a_clear_error_and_no_row(kids_class, parent, rows, message):
    event_type, session = kids_class
    with pytest.raises(BookingError) as refused:
        book(event_type, session, parent, rows)
    assert refused.value.message == message
    assert not Booking.objects.exists() and not BookingParticipant.objects.exists() and seats_taken(session) == 0


def test_name_later_until_the_cut_off(tenant, teacher, parent, run_on_commit):
    event_type, (session,) = make_class(tenant, teacher, slug="later", participant_names=LATER,
                                        participant_names_cutoff_hours=24)
    booking = run_on_commit(bookings.create_booking, event_type=event_type, session=session, attendee=parent,
                            seats=2, participants=[KIDS[0]])
    unnamed = booking.participants.get(email="")
    assert booking.participants.count() == 2
    assert [m for m in mail.outbox if "minh@kids.test" in m.to[0]]

    named = run_on_commit(group.name_participant, booking, unnamed, name="Lan", email="lan@kids.test", actor=parent)

    assert (named.pk, named.name, named.email) == (unnamed.pk, "Lan", "lan@kids.test")
    assert [m for m in mail.outbox if "lan@kids.test" in m.to[0]]
    # After the cut-off (24 h before the start) names are closed.
    other = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("p2@example.com"),
                                    seats=1, participants=[])
    late = session.start - timedelta(hours=23)
    with pytest.raises(BookingError) as refused:
        group.name_participant(other, other.participants.get(), name="Vy", email="vy@kids.test", now=late)
    assert refused.value.message == ("Participants' names can no longer be given or changed: the cut-off was "
                                     "24 hours before the start.")
    assert other.participants.get().email == ""


def test_whitelist_is_checked_per_participant(tenant, teacher, parent):
    event_type, (session,) = make_class(tenant, teacher, slug="enrolled", participant_names=REQUIRED,
                                        whitelist_enabled=True)
    for kid in KIDS[:2]:
        WhitelistEntry.objects.create(event_type=event_type, email=kid["email"])

    with pytest.raises(BookingError) as refused:
        book(event_type, session, parent, KIDS)

    assert refused.value.message == "bao@kids.test is not on the list of students who may join this class."
    assert not Booking.objects.exists() and seats_taken(session) == 0
    # Everyone on the list: booked, though the parent is not on it.
    booking = book(event_type, session, parent, KIDS[:2])
    assert booking.seats == 2
    # Adding someone not on the list is refused too, nothing taken.
    with pytest.raises(BookingError) as refused:
        group.add_participants(booking, [KIDS[2]], actor=parent)
    assert "bao@kids.test is not on the list" in refused.value.message
    assert seats_taken(session) == 2 and booking.participants.count() == 2


def test_unnamed_seats_on_a_whitelisted_class_count_as_the_bookers(tenant, teacher, parent):
    event_type, (session,) = make_class(tenant, teacher, slug="enrolled-later", participant_names=LATER,
                                        whitelist_enabled=True)
    with pytest.raises(BookingError) as refused:
        bookings.create_booking(event_type=event_type, session=session, attendee=parent, seats=2, participants=[])
    assert refused.value.message == "This class is open only to enrolled students."
    assert seats_taken(session) == 0


# The booker manages the group -------------------------------------------------------------------

def test_add_participants_takes_seats_whole_or_nothing(kids_class, parent, run_on_commit):
    event_type, session = kids_class
    booking = book(event_type, session, parent, KIDS[:2])
    Session.objects.filter(pk=session.pk).update(seats_taken=9)  # 2 of them the group's

    with pytest.raises(BookingError) as refused:
        group.add_participants(booking, KIDS[2:] + [{"name": "Huy", "email": "huy@kids.test"}], actor=parent)
    assert refused.value.message == "This session is fully booked."
    assert seats_taken(session) == 9 and booking.participants.count() == 2

    holder = run_on_commit(group.add_participants, booking, [KIDS[2]], actor=parent)

    assert holder.pk == booking.pk and holder.seats == 3 and seats_taken(session) == 10
    assert booking.seat_rows.get().seats == 3
    assert [m for m in mail.outbox if "bao@kids.test" in m.to[0]]
    assert AuditEntry.objects.filter(action="booking.participants_added").count() == 1


def test_group_cannot_grow_past_the_most_seats_in_one_booking(kids_class, parent):
    event_type, session = kids_class
    booking = book(event_type, session, parent, KIDS)
    more = [{"name": f"K{i}", "email": f"k{i}@kids.test"} for i in range(4)]
    with pytest.raises(BookingError) as refused:
        group.add_participants(booking, more, actor=parent)
    assert refused.value.message == "A booking can hold at most 6 seats; this group would have 7."
    assert seats_taken(session) == 3


def test_replace_a_participant_tells_the_old_one_and_confirms_the_new(kids_class, parent, run_on_commit):
    event_type, session = kids_class
    booking = run_on_commit(book, event_type, session, parent, KIDS)
    old = booking.participants.get(email="bao@kids.test")
    mail.outbox.clear()

    new = run_on_commit(group.replace_participant, booking, old, name="Vy", email="vy@kids.test", actor=parent)

    old.refresh_from_db()
    assert old.status == BookingParticipant.Status.REPLACED and old.ended_at is not None
    assert new.is_active and new.email == "vy@kids.test"
    assert seats_taken(session) == 3
    [told] = [m for m in mail.outbox if "bao@kids.test" in m.to[0]]
    assert told.subject.startswith("Your place is cancelled")
    assert str(ics_of(told).walk("VEVENT")[0]["status"]) == "CANCELLED"
    [welcome] = [m for m in mail.outbox if "vy@kids.test" in m.to[0]]
    assert new.manage_path() in welcome.body


def test_remove_a_participant_frees_the_seat_and_tells_them(kids_class, parent, run_on_commit):
    event_type, session = kids_class
    booking = run_on_commit(book, event_type, session, parent, KIDS)
    gone = booking.participants.get(email="lan@kids.test")
    mail.outbox.clear()

    run_on_commit(group.remove_participant, booking, gone, actor=parent)

    booking.refresh_from_db()
    assert booking.seats == 2 and booking.seats_given_back == 1 and seats_taken(session) == 2
    assert booking.seat_rows.get().seats == 2
    assert [m.subject for m in mail.outbox if "lan@kids.test" in m.to[0]][0].startswith("Your place is cancelled")
    with pytest.raises(BookingError) as again:
        group.remove_participant(booking, gone, actor=parent)
    assert again.value.message == "This participant no longer holds a seat."
    assert seats_taken(session) == 2


# A participant gives up their own seat ----------------------------------------------------------

def test_participant_gives_up_own_seat_and_the_booker_is_told(kids_class, parent, run_on_commit):
    event_type, session = kids_class
    booking = run_on_commit(book, event_type, session, parent, KIDS)
    minh = booking.participants.get(email="minh@kids.test")
    mail.outbox.clear()

    with pytest.raises(BookingError) as refused:
        group.give_up_own_seat(minh, token="wrong")
    assert refused.value.code == "token_invalid"
    assert seats_taken(session) == 3

    run_on_commit(group.give_up_own_seat, minh, token=minh.manage_token)

    minh.refresh_from_db()
    booking.refresh_from_db()
    assert minh.status == BookingParticipant.Status.RELEASED
    assert booking.seats == 2 and booking.status == Booking.Status.CONFIRMED and seats_taken(session) == 2
    [told] = [m for m in mail.outbox if "parent@example.com" in m.to[0]]
    assert told.subject.startswith("Minh gave up their seat")
    # The old link is refused from now on.
    with pytest.raises(BookingError):
        group.give_up_own_seat(minh, token=minh.manage_token)
    assert seats_taken(session) == 2


def test_the_last_participant_giving_up_cancels_the_booking(kids_class, parent, run_on_commit):
    event_type, session = kids_class
    booking = run_on_commit(book, event_type, session, parent, KIDS[:1])
    [only] = booking.participants.all()

    run_on_commit(group.give_up_own_seat, only, token=only.manage_token)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED and seats_taken(session) == 0
    assert booking.seats == 1  # the seat count of the cancelled booking stays as it was


# Attendee lists ---------------------------------------------------------------------------------

def test_attendees_for_session_lists_each_participant(kids_class, parent, student):
    event_type, session = kids_class
    booking = book(event_type, session, parent, KIDS[:2])
    lines = group.attendees_for_session(session)
    assert [(line.name, line.email, line.seats, line.booker_email) for line in lines] == [
        ("Minh", "minh@kids.test", 1, "parent@example.com"), ("Lan", "lan@kids.test", 1, "parent@example.com")]
    group.remove_participant(booking, booking.participants.get(email="lan@kids.test"), actor=parent)
    assert [line.email for line in group.attendees_for_session(session)] == ["minh@kids.test"]


def test_attendees_for_session_without_participants_shows_the_booker(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, slug="plain")
    bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=2)
    [line] = group.attendees_for_session(session)
    assert (line.name, line.email, line.seats, line.participant) == ("An Le", "student@example.com", 2, None)


def test_event_type_without_participants_keeps_plain_group_bookings(tenant, teacher, student):
    event_type, (session,) = make_class(tenant, teacher, slug="plain-2")
    booking = bookings.create_booking(event_type=event_type, session=session, attendee=student, seats=3)
    assert booking.seats == 3 and not booking.participants.exists()
    with pytest.raises(BookingError) as refused:
        group.add_participants(booking, [KIDS[0]], actor=student)
    assert refused.value.message == "This event does not take named participants."


def test_changes_after_the_start_are_refused(kids_class, parent):
    event_type, session = kids_class
    booking = book(event_type, session, parent, KIDS[:2])
    after = session.start + timedelta(minutes=5)
    with pytest.raises(BookingError) as refused:
        group.remove_participant(booking, booking.participants.first(), actor=parent, now=after)
    assert refused.value.code == "change_too_late"
    assert timezone.now() < session.start and seats_taken(session) == 2


def test_participants_hear_when_the_whole_booking_moves_or_is_cancelled(kids_class, parent, teacher,
                                                                        run_on_commit):
    event_type, session = kids_class
    later = Session.objects.create(tenant=session.tenant, event_type=event_type, teacher=teacher,
                                   start=session.start + timedelta(days=7), end=session.end + timedelta(days=7),
                                   capacity=10)
    booking = run_on_commit(book, event_type, session, parent, KIDS[:2])
    mail.outbox.clear()

    run_on_commit(bookings.reschedule_booking, booking, new_session=later, actor=parent)

    for kid in KIDS[:2]:
        [moved] = [m for m in mail.outbox if kid["email"] in m.to[0]]
        assert moved.subject.startswith("Moved: Kids' English")
        event = ics_of(moved).walk("VEVENT")[0]
        assert str(event["uid"]).startswith(f"booking-{booking.uid}") and int(event["sequence"]) == 1
        assert booking.participants.get(email=kid["email"]).manage_path() in moved.body
    mail.outbox.clear()

    run_on_commit(bookings.cancel_booking, booking, actor=parent)

    for kid in KIDS[:2]:
        [cancelled] = [m for m in mail.outbox if kid["email"] in m.to[0]]
        assert cancelled.subject.startswith("Cancelled: Kids' English")
        assert str(ics_of(cancelled).walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert seats_taken(later) == 0


def test_an_admin_books_a_group_over_the_whitelist_and_it_is_logged(tenant, teacher, parent, tenant_admin):
    event_type, (session,) = make_class(tenant, teacher, slug="enrolled-admin", participant_names=REQUIRED,
                                        whitelist_enabled=True)
    WhitelistEntry.objects.create(event_type=event_type, email=KIDS[0]["email"])
    listed = bookings.create_booking(event_type=event_type, session=session, attendee=parent, seats=1,
                                     participants=KIDS[:1], source=Booking.Source.ADMIN, actor=tenant_admin,
                                     override_whitelist=True)
    assert not AuditEntry.objects.filter(action="booking.whitelist_override").exists()
    over = bookings.create_booking(event_type=event_type, session=session, attendee=make_user("p2@example.com"),
                                   seats=2,
                                   participants=KIDS[1:], source=Booking.Source.ADMIN, actor=tenant_admin,
                                   override_whitelist=True)
    assert (listed.seats, over.seats, seats_taken(session)) == (1, 2, 3)
    assert AuditEntry.objects.filter(action="booking.whitelist_override", target=f"booking:{over.uid}").exists()
    with pytest.raises(BookingError) as refused:
        bookings.create_booking(event_type=event_type, session=session, attendee=parent, seats=1,
                                participants=KIDS[2:], actor=parent, override_whitelist=True)
    assert refused.value.code == "override_not_allowed"
