"""Group bookings, follow-ups: participants get the 24-hour reminder (once), their
emails have readable kinds in the notification log, and the data-rights export and
erasure cover the people a booker named and a participant's own data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from booking.models import Booking, BookingParticipant, EventType, Session
from booking.notifications import tasks
from booking.notifications.models import NotificationLog
from booking.services import bookings
from site_platform import data_rights
from tests.booking.helpers import make_event_type
from tests.conftest import host_client, make_user

KIDS = [{"name": "Minh", "email": "minh@kids.test"}, {"name": "Lan", "email": "lan@kids.test"}]



@pytest.fixture
def kids(tenant, teacher):
    return make_event_type(tenant, kind=EventType.Kind.LIVE_CLASS, slug="kids", title="Kids' English",
                           seats_per_session=10, max_seats_per_booking=4, price=Decimal("10"),
                           meeting_url="https://meet.example.com/kids",
                           participant_names=EventType.ParticipantNames.REQUIRED, hosts=[teacher])


@pytest.fixture
def parent(db):
    return make_user("parent@example.com", first_name="Hoa", last_name="Tran")


def session_at(event_type, teacher, start):
    return Session.objects.create(tenant=event_type.tenant, event_type=event_type, teacher=teacher, start=start,
                                  end=start + timedelta(hours=1), capacity=10)


def paid_group(run_on_commit, kids, session, parent):
    booking = run_on_commit(bookings.create_booking, event_type=kids, session=session, attendee=parent, seats=2,
                            participants=KIDS)
    return run_on_commit(bookings.confirm_booking, booking, payment_reference="pi_group")


def test_each_participant_gets_the_reminder_once(run_on_commit, kids, teacher, parent):
    start = (timezone.now() + timedelta(hours=24, minutes=10)).replace(second=0, microsecond=0)
    booking = paid_group(run_on_commit, kids, session_at(kids, teacher, start), parent)
    mail.outbox.clear()

    assert tasks.send_due_reminders() == 1
    assert tasks.send_due_reminders() == 0
    tasks.send_booking_reminder(booking.pk)  # the task again: nobody is reminded twice
    to = sorted(message.to[0] for message in mail.outbox)
    assert to == ["Hoa Tran <parent@example.com>", "Lan <lan@kids.test>", "Minh <minh@kids.test>"]
    lan, = [m for m in mail.outbox if "lan@kids.test" in m.to[0]]
    assert lan.subject.startswith("Reminder: Kids' English")
    assert "Hoa Tran" in lan.body and "https://meet.example.com/kids" in lan.body
    participant = booking.participants.get(email="lan@kids.test")
    assert participant.manage_path() in lan.body and booking.manage_path() not in lan.body
    log = NotificationLog.objects.get(kind="participant_reminder", recipient="lan@kids.test")
    assert log.get_kind_display() == "Participant: reminder"


def test_participant_emails_have_readable_kinds(run_on_commit, kids, teacher, parent):
    paid_group(run_on_commit, kids, session_at(kids, teacher, timezone.now() + timedelta(days=3)), parent)
    labels = {log.recipient: log.get_kind_display() for log in NotificationLog.objects.filter(
        kind=NotificationLog.Kind.PARTICIPANT_CONFIRMED)}
    assert labels == {"minh@kids.test": "Participant: booked", "lan@kids.test": "Participant: booked"}


def test_booker_export_names_the_participants_and_erasure_blanks_them(run_on_commit, tenant, kids, teacher,
                                                                      parent, tenant_admin):
    booking = paid_group(run_on_commit, kids, session_at(kids, teacher, timezone.now() + timedelta(days=3)), parent)
    exported, = data_rights.export_student(tenant, parent)["records"]["bookings"]
    assert [(p["name"], p["email"]) for p in exported["participants"]] == [
        ("Minh", "minh@kids.test"), ("Lan", "lan@kids.test")]
    link = booking.participants.get(email="lan@kids.test").manage_path()

    data_rights.erase_student(tenant, parent, actor=tenant_admin)

    booking.refresh_from_db()
    placeholder = data_rights.erased_email(tenant, parent)
    assert booking.attendee_email == placeholder
    assert (booking.amount, booking.payment_reference, booking.seats) == (Decimal("20"), "pi_group", 2)
    assert list(booking.participants.values_list("name", "email")) == [("", placeholder), ("", placeholder)]
    assert not BookingParticipant.objects.filter(email__in=["minh@kids.test", "lan@kids.test"]).exists()
    # The participant's old link no longer opens their place.
    assert host_client(tenant).get(link).status_code == 403


def test_a_participant_with_an_account_exports_and_erases_their_own_seat(run_on_commit, tenant, kids, teacher,
                                                                         parent, tenant_admin):
    booking = paid_group(run_on_commit, kids, session_at(kids, teacher, timezone.now() + timedelta(days=3)), parent)
    lan = make_user("lan@kids.test", first_name="Lan")
    exported = data_rights.export_student(tenant, lan)["records"]["group_participations"]
    assert [(row["booking"], row["name"], row["booked_by"]) for row in exported] == [
        (str(booking.uid), "Lan", "parent@example.com")]

    data_rights.erase_student(tenant, lan, actor=tenant_admin)

    booking.refresh_from_db()
    # The booker's booking and its financial record stay; only Lan's name and address go.
    assert (booking.status, booking.amount, booking.seats, booking.attendee_email) == (
        Booking.Status.CONFIRMED, Decimal("20"), 2, "parent@example.com")
    assert list(booking.participants.order_by("pk").values_list("name", "email", "status")) == [
        ("Minh", "minh@kids.test", "active"), ("", data_rights.erased_email(tenant, lan), "active")]
    assert data_rights.export_student(tenant, lan)["records"]["group_participations"] == []
