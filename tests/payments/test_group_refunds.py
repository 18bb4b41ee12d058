"""Money in group bookings, against the fake Stripe server: one payment for the group at
the group price, a freed seat refunds its share of what was actually paid (policy
applied) to the payer once, extra seats are paid on their own."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from booking import signals
from booking.errors import BookingError
from booking.models import Booking, BookingParticipant, EventType
from booking.services import bookings as booking_service
from booking.services import participants as group
from integrations.payments.models import GroupDiscount, Payment, Refund
from tests.booking.booking_helpers import make_class
from tests.payments.conftest import deliver, reload, session_id_of, start_checkout

STAFF = [{"name": f"Staff {n}", "email": f"staff{n}@company.test"} for n in range(1, 5)]


@pytest.fixture
def workshop(tenant, teacher, connected):
    event_type, (session,) = make_class(
        tenant, teacher, capacity=10, price=Decimal("25.00"), title="Business writing", max_seats_per_booking=8,
        participant_names=EventType.ParticipantNames.REQUIRED, refund_window_hours=12,
        late_cancel_refund_percent=50)
    GroupDiscount.objects.create(tenant=tenant, min_seats=3, percent=Decimal("10"))
    return event_type, session


def pay(booking, fake, connected, commit):
    url = start_checkout(booking, commit)
    for event in fake.pay(session_id_of(url), account=connected.account_id):
        deliver(fake, event, commit)
    booking = reload(booking)
    assert booking.status == Booking.Status.CONFIRMED
    return booking


def paid_group(event_type, session, booker, fake, connected, commit, staff=STAFF[:3]):
    with commit(execute=True):
        booking = booking_service.create_booking(event_type=event_type, session=session, attendee=booker,
                                                 seats=len(staff), participants=staff, actor=booker)
    return pay(booking, fake, connected, commit)


def seats_taken(session):
    session.refresh_from_db()
    return session.seats_taken


def test_one_payment_covers_the_group_at_the_group_price_and_everyone_is_told(workshop, connected, fake_stripe,
                                                                               student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit)

    payment = Payment.objects.get(booking=booking)
    assert (payment.amount, booking.amount) == (Decimal("67.50"), Decimal("67.50"))  # 3 × 25 − 10 %
    assert len(fake_stripe.requests_to("POST", "/v1/checkout/sessions")) == 1
    for person in STAFF[:3]:
        [told] = [m for m in mail.outbox if person["email"] in m.to[0]]
        assert told.subject.startswith("You are booked: Business writing")
    receipts = [m for m in mail.outbox if "Receipt" in m.subject or "receipt" in m.subject.lower()]
    assert receipts and all(student.email in m.to[0] for m in receipts)


def test_a_seat_given_up_in_time_refunds_its_paid_share_to_the_payer_once(workshop, connected, fake_stripe,
                                                                            student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit)
    leaver = booking.participants.get(email="staff2@company.test")

    with commit(execute=True):
        refund_due = group.give_up_own_seat(leaver, token=leaver.manage_token)

    assert refund_due == Decimal("22.50")
    refund = Refund.objects.get(payment__booking=booking)
    assert (refund.amount, refund.status) == (Decimal("22.50"), Refund.Status.SUCCEEDED)
    [sent] = fake_stripe.requests_to("POST", "/v1/refunds")
    assert sent.params["amount"] == "2250"
    assert sent.idempotency_key == f"refund:{booking.uid}:seat:{leaver.uid}"
    assert sent.account == connected.account_id
    booking = reload(booking)
    assert (booking.seats, booking.amount, seats_taken(session)) == (2, Decimal("45.00"), 2)
    [notice] = [m for m in mail.outbox if m.subject.startswith("Staff 2 gave up their seat")]
    assert student.email in notice.to[0] and "22.50 USD" in notice.body

    # The same change heard again (a retried receiver) refunds nothing more.
    with commit(execute=True):
        signals.participants_changed.send(
            sender=BookingParticipant, booking_id=booking.pk, tenant_id=booking.tenant_id, actor_id=None,
            action="released", added=[], removed=[leaver.pk], seats_released=1, refund_due=Decimal("22.50"))
    assert Refund.objects.filter(payment__booking=booking).count() == 1
    assert len(fake_stripe.requests_to("POST", "/v1/refunds")) == 1


def test_a_late_seat_refund_follows_the_late_cancel_percentage(workshop, connected, fake_stripe, student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit)
    leaver = booking.participants.get(email="staff1@company.test")

    with commit(execute=True):
        group.remove_participant(booking, leaver, actor=student, now=session.start - timedelta(hours=2))

    assert Refund.objects.get(payment__booking=booking).amount == Decimal("11.25")  # 50 % of 22.50
    assert reload(booking).amount == Decimal("45.00")


def test_cancelling_the_rest_after_a_freed_seat_never_refunds_more_than_was_paid(workshop, connected, fake_stripe,
                                                                                  student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit)
    leaver = booking.participants.get(email="staff3@company.test")
    with commit(execute=True):
        group.give_up_own_seat(leaver, token=leaver.manage_token)
    with commit(execute=True):
        booking_service.cancel_booking(booking, actor=student)

    amounts = sorted(Refund.objects.filter(payment__booking=booking).values_list("amount", flat=True))
    assert amounts == [Decimal("22.50"), Decimal("45.00")]
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    assert seats_taken(session) == 0


def test_wrong_token_refunds_nothing(workshop, connected, fake_stripe, student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit)
    leaver = booking.participants.first()
    with pytest.raises(BookingError) as refused:
        group.give_up_own_seat(leaver, token=booking.manage_token)  # the booker's token is not theirs
    assert refused.value.code == "token_invalid"
    assert not Refund.objects.exists() and seats_taken(session) == 3


def test_extra_seats_on_a_paid_group_wait_for_their_own_payment(workshop, connected, fake_stripe, student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit, staff=STAFF[:2])
    mail.outbox.clear()

    with commit(execute=True):
        extra = group.add_participants(booking, STAFF[2:4], actor=student)

    assert extra.pk != booking.pk and extra.group_parent_id == booking.pk
    assert (extra.status, extra.seats, seats_taken(session)) == (Booking.Status.PENDING_PAYMENT, 2, 4)
    assert Payment.objects.get(booking=extra).amount == Decimal("50.00")
    assert not [m for m in mail.outbox if "staff3@company.test" in m.to[0]]  # told once it is paid

    extra = pay(extra, fake_stripe, connected, commit)

    assert [m for m in mail.outbox if "staff3@company.test" in m.to[0]]
    assert [p.email for p in group.group_participants(booking)] == [s["email"] for s in STAFF[:4]]
    assert [line.email for line in group.attendees_for_session(session)] == [s["email"] for s in STAFF[:4]]


def test_unpaid_extra_seats_are_given_back_when_their_hold_expires(workshop, connected, fake_stripe, student,
                                                                   commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit, staff=STAFF[:2])
    with commit(execute=True):
        extra = group.add_participants(booking, STAFF[2:3], actor=student)
    assert seats_taken(session) == 3

    booking_service.expire_holds(now=extra.hold_expires_at + timedelta(seconds=1))

    assert reload(extra).status == Booking.Status.EXPIRED and seats_taken(session) == 2
    assert [p.email for p in group.group_participants(booking)] == [s["email"] for s in STAFF[:2]]


@pytest.mark.parametrize("ended_by", ["cancel", "expiry"])
def test_a_participant_of_ended_extra_seats_cannot_give_a_seat_back_twice(workshop, connected, fake_stripe, student,
                                                                        commit, ended_by):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit, staff=STAFF[:2])
    with commit(execute=True):
        extra = group.add_participants(booking, STAFF[2:4], actor=student)
    assert seats_taken(session) == 4
    with commit(execute=True):
        if ended_by == "cancel":
            booking_service.cancel_booking(extra, actor=student)
        else:
            booking_service.expire_holds(now=extra.hold_expires_at + timedelta(seconds=1))
    assert seats_taken(session) == 2
    left_behind = BookingParticipant.objects.get(booking=extra, email=STAFF[2]["email"])

    for change in (lambda: group.remove_participant(booking, left_behind, actor=student),
                   lambda: group.replace_participant(booking, left_behind, name="Someone", email="new@company.test",
                                                     actor=student)):
        with pytest.raises(BookingError) as refused:
            change()
        assert refused.value.code == "participant_not_active"
    assert seats_taken(session) == 2 and reload(booking).seats == 2
    assert not BookingParticipant.objects.filter(email="new@company.test").exists()


def test_extra_seats_stay_manageable_after_the_first_booking_ends(workshop, connected, fake_stripe, student, commit):
    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit, staff=STAFF[:1])
    with commit(execute=True):
        extra = group.add_participants(booking, STAFF[1:3], actor=student)
    extra = pay(extra, fake_stripe, connected, commit)
    first = BookingParticipant.objects.get(booking=booking)
    with commit(execute=True):
        group.give_up_own_seat(first, token=first.manage_token)
    assert reload(booking).status == Booking.Status.CANCELLED and seats_taken(session) == 2

    with commit(execute=True):
        group.remove_participant(booking, BookingParticipant.objects.get(booking=extra, email=STAFF[1]["email"]),
                                 actor=student)

    assert seats_taken(session) == 1 and reload(extra).seats == 1


def test_the_participant_page_shows_the_refund_first_and_gives_the_seat_up(workshop, connected, fake_stripe,
                                                                            student, commit):
    from tests.conftest import host_client

    event_type, session = workshop
    booking = paid_group(event_type, session, student, fake_stripe, connected, commit)
    leaver = booking.participants.get(email="staff1@company.test")
    page_url = f"/bookings/participants/{leaver.uid}/"
    anonymous = host_client(booking.tenant)

    page = anonymous.get(f"{page_url}?token={leaver.manage_token}").content.decode()
    assert "If you give up your seat now, 22.50 USD goes back to An Le, who paid." in page
    wrong = anonymous.post(page_url, {"token": booking.manage_token})
    assert wrong.status_code == 403 and not Refund.objects.exists() and seats_taken(session) == 3

    with commit(execute=True):
        done = anonymous.post(page_url, {"token": leaver.manage_token})

    assert done.status_code == 200 and "22.50 USD goes back to An Le." in done.content.decode()
    assert Refund.objects.get(payment__booking=booking).amount == Decimal("22.50")
    assert seats_taken(session) == 2
    assert [m for m in mail.outbox if student.email in m.to[0] and m.subject.startswith("Staff 1 gave up")]
