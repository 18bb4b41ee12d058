"""Group bookings through the API after booking: the booker adds, names, replaces and
removes participants; a participant reads their place and gives up their seat with
their manage token. Paid groups run against the fake Stripe on loopback."""

from decimal import Decimal

import pytest

from booking.models import Booking, BookingParticipant, EventType
from booking.services import bookings as booking_service
from integrations.payments.models import Payment, Refund
from tests.api.conftest import ApiClient
from tests.booking.booking_helpers import make_class
from tests.conftest import make_user
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    commit, connected, deliver, fake_stripe, session_id_of,
)

pytestmark = pytest.mark.django_db

PAIR = [{"name": "Binh Tran", "email": "binh@example.com"}, {"name": "Chi Vo", "email": "chi@example.com"}]


def seats_taken(session):
    session.refresh_from_db()
    return session.seats_taken


def book(client, event_type, session, seats, participants):
    made = client.post_json("/api/v1/me/bookings", {"event_type": event_type.pk, "session": session.pk,
                                                    "seats": seats, "participants": participants})
    assert made.status_code == 201, made.content
    return made.json()["uid"]


@pytest.fixture
def later_class(tenant, teacher):
    event_type, (session,) = make_class(tenant, teacher, capacity=4, title="Kids club",
                                        participant_names=EventType.ParticipantNames.LATER)
    return event_type, session


@pytest.fixture
def paid_group_class(tenant, teacher, connected):
    event_type, (session,) = make_class(tenant, teacher, capacity=10, price=Decimal("25.00"), title="Business",
                                        participant_names=EventType.ParticipantNames.REQUIRED)
    return event_type, session


def paid_group(client, event_type, session, fake, connected, commit):
    """A group of two, booked and paid through the API (webhook from the fake Stripe)."""
    uid = book(client, event_type, session, 2, PAIR)
    with commit(execute=True):
        url = client.post_json(f"/api/v1/me/bookings/{uid}/pay").json()["checkout_url"]
    for event in fake.pay(session_id_of(url), account=connected.account_id):
        assert deliver(fake, event, commit).status_code == 200
    assert client.get(f"/api/v1/me/bookings/{uid}").json()["status"] == "confirmed"
    return uid


def test_booker_names_replaces_adds_and_removes_participants_of_a_free_group(student_client, later_class):
    event_type, session = later_class
    uid = book(student_client, event_type, session, 2, PAIR[:1])
    url = f"/api/v1/me/bookings/{uid}/participants"

    group = student_client.get(url).json()
    assert [(p["name"], p["email"]) for p in group["participants"]] == [("Binh Tran", "binh@example.com"), ("", "")]
    assert group["can_change"] and group["names_open"] and group["seats_left"] == 2
    binh, blank = group["participants"]

    named = student_client.put(f"{url}/{blank['uid']}", {"name": "Dung Ho", "email": "Dung@Example.com"},
                               content_type="application/json")
    assert named.status_code == 200, named.content
    assert (named.json()["uid"], named.json()["email"]) == (blank["uid"], "dung@example.com")

    replaced = student_client.put(f"{url}/{binh['uid']}", {"name": "Em Ly", "email": "em@example.com"},
                                  content_type="application/json")
    assert replaced.status_code == 200 and replaced.json()["uid"] != binh["uid"]
    assert BookingParticipant.objects.get(uid=binh["uid"]).status == "replaced"

    added = student_client.post_json(url, {"participants": [{"name": "Giang", "email": "giang@example.com"}]})
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["payment_required"] is False and body["pay_path"] is None
    assert body["booking"]["uid"] == uid and body["booking"]["seats"] == 3
    assert [p["email"] for p in body["added"]] == ["giang@example.com"]
    assert seats_taken(session) == 3

    removed = student_client.delete(f"{url}/{body['added'][0]['uid']}")
    assert removed.status_code == 200, removed.content
    assert removed.json() == {"participant": body["added"][0]["uid"], "status": "removed", "refund": "0.00",
                              "currency": "USD", "booking_status": "confirmed"}
    assert seats_taken(session) == 2
    emails = [p["email"] for p in student_client.get(url).json()["participants"]]
    assert emails == ["dung@example.com", "em@example.com"]


def test_adding_past_the_seats_left_is_a_409_with_nothing_written(student_client, later_class):
    event_type, session = later_class
    uid = book(student_client, event_type, session, 2, PAIR)
    booking_service.create_booking(event_type=event_type, session=session, seats=1,
                                   attendee=make_user("other@example.com"), participants=[])
    more = [{"name": "Dung", "email": "dung@example.com"}, {"name": "Em", "email": "em@example.com"}]

    response = student_client.post_json(f"/api/v1/me/bookings/{uid}/participants", {"participants": more})

    assert response.status_code == 409 and response.json()["code"] == "full"
    assert seats_taken(session) == 3
    assert BookingParticipant.objects.filter(email__in=["dung@example.com", "em@example.com"]).count() == 0
    duplicate = student_client.post_json(f"/api/v1/me/bookings/{uid}/participants", {"participants": PAIR[:1]})
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "participant_duplicate"
    empty = student_client.post_json(f"/api/v1/me/bookings/{uid}/participants", {"participants": []})
    assert empty.status_code == 422 and "participants" in empty.json()["fields"]


def test_another_bookers_or_schools_ids_are_404(student_client, later_class, other_tenant, other_workshop, tenant):
    event_type, session = later_class
    mine = book(student_client, event_type, session, 2, PAIR)
    someone = make_user("someone@example.com")
    theirs = booking_service.create_booking(event_type=event_type, session=session, seats=1, attendee=someone,
                                            participants=[{"name": "Hoa", "email": "hoa@example.com"}])
    their_participant = theirs.participants.get()

    assert student_client.get(f"/api/v1/me/bookings/{theirs.uid}/participants").status_code == 404
    assert student_client.delete(f"/api/v1/me/bookings/{theirs.uid}/participants/{their_participant.uid}"
                                 ).status_code == 404
    # Another group's participant through my own booking's address.
    response = student_client.delete(f"/api/v1/me/bookings/{mine}/participants/{their_participant.uid}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert BookingParticipant.objects.get(pk=their_participant.pk).status == "active"
    # My booking's address on another school's site.
    elsewhere = ApiClient(other_tenant)
    elsewhere.force_login(Booking.objects.get(uid=mine).attendee)
    assert elsewhere.get(f"/api/v1/me/bookings/{mine}/participants").status_code == 404
    participant = BookingParticipant.objects.filter(booking__uid=mine).first()
    gone = ApiClient(other_tenant).get(f"/api/v1/participants/{participant.uid}",
                                       {"token": participant.manage_token})
    assert gone.status_code == 404


def test_adding_to_a_paid_group_answers_the_extra_booking_to_pay(student_client, paid_group_class, connected,
                                                                 fake_stripe, commit):
    event_type, session = paid_group_class
    uid = paid_group(student_client, event_type, session, fake_stripe, connected, commit)

    with commit(execute=True):
        added = student_client.post_json(f"/api/v1/me/bookings/{uid}/participants",
                                         {"participants": [{"name": "Dung", "email": "dung@example.com"}]})

    assert added.status_code == 201, added.content
    body = added.json()
    extra = body["booking"]
    assert body["payment_required"] is True and extra["status"] == "pending_payment" and extra["uid"] != uid
    assert body["pay_path"] == f"/api/v1/me/bookings/{extra['uid']}/pay"
    assert seats_taken(session) == 3
    payment = student_client.get(f"/api/v1/me/bookings/{extra['uid']}/payment").json()
    assert payment["amount_minor"] == 2500 and payment["can_pay"] is True
    paying = student_client.post_json(body["pay_path"])
    assert paying.status_code == 200 and paying.json()["checkout_url"].startswith(fake_stripe.url)
    group = student_client.get(f"/api/v1/me/bookings/{uid}/participants").json()
    assert [(p["email"], p["booking_status"]) for p in group["participants"]][-1] == ("dung@example.com",
                                                                                      "pending_payment")


def test_participant_reads_their_place_and_gives_up_their_seat(student_client, paid_group_class, connected,
                                                               fake_stripe, commit, tenant):
    event_type, session = paid_group_class
    uid = paid_group(student_client, event_type, session, fake_stripe, connected, commit)
    chi = BookingParticipant.objects.get(booking__uid=uid, email="chi@example.com")
    visitor = ApiClient(tenant)
    url = f"/api/v1/participants/{chi.uid}"

    wrong = visitor.get(url, {"token": "not-the-token"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "token_invalid"
    place = visitor.get(url, {"token": chi.manage_token})
    assert place.status_code == 200, place.content
    seen = place.json()
    assert (seen["name"], seen["status"], seen["booking_status"]) == ("Chi Vo", "active", "confirmed")
    assert seen["can_give_up"] is True and seen["refund_if_given_up"] == "25.00" and seen["currency"] == "USD"

    refused = visitor.post(f"{url}/give-up?token=wrong", content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "token_invalid"
    assert seats_taken(session) == 2 and not Refund.objects.exists()

    with commit(execute=True):
        given = visitor.post(f"{url}/give-up?token={chi.manage_token}", content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY="give-up-1")
    assert given.status_code == 200, given.content
    assert given.json() == {"participant": str(chi.uid), "status": "released", "refund": "25.00",
                            "currency": "USD", "booking_status": "confirmed"}
    assert seats_taken(session) == 1
    refund = Refund.objects.get(payment__booking__uid=uid)
    assert refund.amount == Decimal("25.00")

    # A retry of the same request gives the same answer and refunds nothing more.
    with commit(execute=True):
        again = visitor.post(f"{url}/give-up?token={chi.manage_token}", content_type="application/json",
                             HTTP_IDEMPOTENCY_KEY="give-up-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == given.json() and Refund.objects.count() == 1
    # Without the key, the ended participant's link no longer works.
    assert visitor.get(url, {"token": chi.manage_token}).status_code == 403


def test_booker_removing_a_paid_seat_answers_its_refund(student_client, paid_group_class, connected, fake_stripe,
                                                        commit):
    event_type, session = paid_group_class
    uid = paid_group(student_client, event_type, session, fake_stripe, connected, commit)
    binh = BookingParticipant.objects.get(booking__uid=uid, email="binh@example.com")

    with commit(execute=True):
        removed = student_client.delete(f"/api/v1/me/bookings/{uid}/participants/{binh.uid}")

    assert removed.status_code == 200, removed.content
    assert (removed.json()["refund"], removed.json()["status"]) == ("25.00", "removed")
    assert Payment.objects.get(booking__uid=uid).refunds.get().amount == Decimal("25.00")
    again = student_client.delete(f"/api/v1/me/bookings/{uid}/participants/{binh.uid}")
    assert again.status_code == 422 and again.json()["code"] == "participant_not_active"


def test_idempotency_key_adds_participants_once(student_client, later_class):
    event_type, session = later_class
    uid = book(student_client, event_type, session, 1, PAIR[:1])
    url = f"/api/v1/me/bookings/{uid}/participants"
    body = {"participants": [{"name": "Dung", "email": "dung@example.com"}]}

    first = student_client.post_json(url, body, HTTP_IDEMPOTENCY_KEY="add-dung")
    second = student_client.post_json(url, body, HTTP_IDEMPOTENCY_KEY="add-dung")

    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert seats_taken(session) == 2
    other = student_client.post_json(url, {"participants": [{"name": "Em", "email": "em@example.com"}]},
                                     HTTP_IDEMPOTENCY_KEY="add-dung")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert seats_taken(session) == 2


def test_a_booking_without_participants_has_no_group(student_client, workshop):
    event_type, sessions = workshop
    made = student_client.post_json("/api/v1/me/bookings", {"event_type": event_type.pk,
                                                            "session": sessions[0].pk})
    response = student_client.get(f"/api/v1/me/bookings/{made.json()['uid']}/participants")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_idempotency_key_removes_once_and_belongs_to_each_participant(student_client, later_class, tenant):
    event_type, session = later_class
    uid = book(student_client, event_type, session, 3, PAIR + [{"name": "Dung", "email": "dung@example.com"}])
    binh, chi, dung = BookingParticipant.objects.filter(booking__uid=uid).order_by("pk")

    url = f"/api/v1/me/bookings/{uid}/participants/{binh.uid}"
    first = student_client.delete(url, HTTP_IDEMPOTENCY_KEY="remove-binh")
    second = student_client.delete(url, HTTP_IDEMPOTENCY_KEY="remove-binh")
    assert first.status_code == second.status_code == 200 and second["Idempotent-Replayed"] == "true"
    assert seats_taken(session) == 2

    # Two participants who happen to send the same key each give up their own seat.
    visitor = ApiClient(tenant)
    for participant in (chi, dung):
        given = visitor.post(f"/api/v1/participants/{participant.uid}/give-up?token={participant.manage_token}",
                             content_type="application/json", HTTP_IDEMPOTENCY_KEY="same-key")
        assert given.status_code == 200 and given.json()["participant"] == str(participant.uid)
        assert "Idempotent-Replayed" not in given
    assert seats_taken(session) == 0
    assert Booking.objects.get(uid=uid).status == "cancelled"
