"""Schemathesis against the student and the school's endpoints, as the caller each
is for: a signed-in student's personal token, the school's API key. The tenant is
seeded so that lists have rows and path parameters name real rows as well as
generated ones. Each operation gets a bounded, derandomized run (the same examples
every time): no 5xx, and every answer's status, content type and body are what
the schema documents."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from schemathesis.core import NOT_SET

from booking.api import services as api_services
from booking.models import Booking, EventType, WhitelistEntry
from booking.services import bookings as booking_service
from integrations.payments import checkout
from integrations.payments.models import Payment, Refund
from tests.api.conftest import new_key, openapi_schema
from tests.booking.booking_helpers import future, make_class, make_one_on_one
from tests.conftest import make_user
from tests.payments.conftest import connected, fake_stripe  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

# Examples per operation; API_FUZZ_EXAMPLES=200 for a longer search by hand.
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", 12))

STUDENT_OPERATIONS = [
    "my_bookings_list", "my_bookings_create", "my_bookings_retrieve", "my_bookings_cancel",
    "my_bookings_reschedule", "my_tokens_list", "my_tokens_create", "my_tokens_revoke", "my_bookings_payment",
    "my_bookings_pay", "my_bookings_participants_list", "my_bookings_participants_add",
    "my_bookings_participants_replace", "my_bookings_participants_remove",
]
PARTICIPANT_OPERATIONS = ["participant_retrieve", "participant_give_up"]
TENANT_OPERATIONS = [
    "tenant_event_types_list", "tenant_event_types_create", "tenant_event_types_retrieve",
    "tenant_event_types_update", "tenant_event_types_delete", "tenant_series_create", "tenant_sessions_create",
    "tenant_whitelist_list", "tenant_whitelist_update", "tenant_sessions_list", "tenant_bookings_list",
    "tenant_bookings_export", "tenant_stats", "tenant_payments_list", "tenant_refunds_list",
]


def _schema():
    import schemathesis

    return schemathesis.openapi.from_dict(openapi_schema())


def _operations(prefix):
    return {result.ok().definition.raw["operationId"]: result.ok() for result in _schema().get_all_operations()
            if result.ok().path.startswith(prefix)}


def test_every_student_and_key_operation_is_fuzzed():
    """A new endpoint under me/ or tenant/ must join the lists above."""
    assert sorted(_operations("/api/v1/me/")) == sorted(STUDENT_OPERATIONS)
    assert sorted(_operations("/api/v1/tenant/")) == sorted(TENANT_OPERATIONS)
    assert sorted(_operations("/api/v1/participants/")) == sorted(PARTICIPANT_OPERATIONS)


@pytest.fixture
def wsgi_app():
    # The WSGI handler would close the test's connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(tenant, teacher, student, tenant_admin, connected):
    """A school with a class (three sessions, a whitelist), a full class, a one-to-one
    event, a draft without bookings, a paid class, a class naming participants; the student's bookings (confirmed,
    cancelled, one-to-one, one waiting for payment), another student's booking, paid
    and refunded, a spare personal token and an API key. Stripe is the fake on loopback.
    `path` names real rows for path parameters; `examples` are well-formed requests
    (path parameters, body) that reach the services, mixed in with generated ones."""
    workshop, sessions = make_class(tenant, teacher, capacity=10, sessions=3, title="Conversation club")
    for email in ("an@example.com", "binh@example.com"):
        WhitelistEntry.objects.create(tenant=tenant, event_type=workshop, email=email)
    full_class, full_sessions = make_class(tenant, teacher, capacity=1, sessions=1, days=5, title="Tiny")
    tutoring = make_one_on_one(tenant, teacher, title="Tutoring")
    group_class, group_sessions = make_class(tenant, teacher, capacity=6, sessions=1, days=8, title="Group club",
                                             participant_names=EventType.ParticipantNames.REQUIRED)
    draft, _draft_sessions = make_class(tenant, teacher, sessions=1, days=6, title="Draft", is_published=False)
    booked = booking_service.create_booking(event_type=workshop, session=sessions[0], attendee=student, seats=2)
    group = booking_service.create_booking(
        event_type=group_class, session=group_sessions[0], attendee=student, seats=2,
        participants=[{"name": "Dao", "email": "dao@example.com"}, {"name": "Ha", "email": "ha@example.com"}])
    dao, ha = group.participants.order_by("pk")
    cancelled = booking_service.create_booking(event_type=workshop, session=sessions[1], attendee=student)
    booking_service.cancel_booking(cancelled, reason="ill", actor=student, by_role=Booking.Role.STUDENT)
    slot = future(days=4, hour=9)
    one_on_one = booking_service.create_booking(event_type=tutoring, start=slot, teacher=teacher, attendee=student)
    someone = make_user("someone@example.com", first_name="Chi")
    booking_service.create_booking(event_type=workshop, session=sessions[2], attendee=someone)
    booking_service.create_booking(event_type=full_class, session=full_sessions[0], attendee=someone)
    paid_class, paid_sessions = make_class(tenant, teacher, sessions=1, days=7, title="English B1",
                                           price=Decimal("25.00"))
    to_pay = booking_service.create_booking(event_type=paid_class, session=paid_sessions[0], attendee=student)
    checkout.ensure_payment(to_pay)
    refunded = booking_service.create_booking(event_type=paid_class, session=paid_sessions[0], attendee=someone)
    payment = checkout.ensure_payment(refunded)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.REFUNDED, paid_at=timezone.now(),
                                                 amount_refunded=payment.amount, payment_intent_id="pi_seed")
    Refund.objects.create(tenant=tenant, payment=payment, purpose=Refund.Purpose.CANCELLATION,
                          amount=payment.amount, currency=payment.currency, payment_intent_id="pi_seed",
                          idempotency_key="seed-refund", status=Refund.Status.SUCCEEDED)
    spare_token, _clear = api_services.create_personal_token(tenant=tenant, user=student, name="spare")
    _key, key = new_key(tenant, created_by=tenant_admin)
    later = (slot + timedelta(days=1)).isoformat()
    new_start = future(days=40, hour=8)
    recurrence = {"teacher": teacher.pk, "weekdays": [1, 3], "start_time": "10:00",
                  "starts_on": (new_start + timedelta(days=60)).date().isoformat(), "count": 3}
    workshop_path = {"event_type_id": workshop.pk}
    return {
        "key": key,
        "path": {
            "uid": [str(b.uid) for b in (booked, cancelled, one_on_one, to_pay, group)],
            "participant_uid": [str(dao.uid), str(ha.uid)],
            "token_id": [spare_token.pk],
            "event_type_id": [workshop.pk, tutoring.pk, draft.pk],
        },
        "examples": {
            "my_bookings_create": [
                (None, {"event_type": workshop.pk, "session": sessions[2].pk, "seats": 1}),
                (None, {"event_type": tutoring.pk, "start": later, "teacher": teacher.pk}),
                (None, {"event_type": full_class.pk, "session": full_sessions[0].pk}),
                (None, {"event_type": group_class.pk, "session": group_sessions[0].pk, "seats": 2,
                        "participants": [{"name": "Binh", "email": "binh@example.com"},
                                         {"name": "Chi", "email": "chi@example.com"}]}),
            ],
            "my_bookings_reschedule": [
                ({"uid": str(booked.uid)}, {"session": sessions[2].pk}),
                ({"uid": str(one_on_one.uid)}, {"start": later, "teacher": teacher.pk}),
                ({"uid": str(booked.uid)}, {"session": full_sessions[0].pk}),
            ],
            "my_bookings_cancel": [({"uid": str(booked.uid)}, {"reason": "ill"})],
            "my_bookings_pay": [({"uid": str(to_pay.uid)}, NOT_SET)],
            "my_bookings_participants_add": [({"uid": str(group.uid)},
                                              {"participants": [{"name": "Lan", "email": "lan@example.com"}]})],
            "my_bookings_participants_replace": [({"uid": str(group.uid), "participant_uid": str(dao.uid)},
                                                  {"name": "Mai", "email": "mai@example.com"})],
            "my_bookings_participants_remove": [({"uid": str(group.uid), "participant_uid": str(ha.uid)},
                                                 NOT_SET)],
            # The participant's manage link: (path, body, query).
            "participant_retrieve": [({"participant_uid": str(dao.uid)}, NOT_SET, {"token": dao.manage_token})],
            "participant_give_up": [({"participant_uid": str(ha.uid)}, NOT_SET, {"token": ha.manage_token}),
                                    ({"participant_uid": str(dao.uid)}, NOT_SET, {"token": "wrong"})],
            "tenant_event_types_create": [(None, {"kind": "workshop", "title": "Lab", "hosts": [teacher.pk],
                                                  "seats_per_session": 6, "recurrence": recurrence})],
            "tenant_event_types_update": [(workshop_path, {"title": "Conversation club+", "price": "10.00",
                                                           "currency": "USD", "hosts": [teacher.pk]})],
            "tenant_series_create": [(workshop_path, recurrence)],
            "tenant_sessions_create": [(workshop_path, {"teacher": teacher.pk, "start": new_start.isoformat(),
                                                        "end": (new_start + timedelta(hours=1)).isoformat()})],
            "tenant_whitelist_update": [(workshop_path, {"mode": "replace", "emails": ["an@example.com",
                                                                                      "chi@example.com"]})],
        },
    }


def fuzz(operation, *, tenant, credentials, seeded, app):
    """Run one operation: first the seeded examples (well-formed requests that reach the
    services), then generated cases, valid and invalid, some naming the seeded rows.
    `credentials()` gives the headers that authenticate each call. Returns the
    statuses answered."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance, response_schema_conformance, status_code_conformance,
    )
    from werkzeug.test import Client as WsgiClient

    # Cookies go as a header: the WSGI transport's own jar keeps them for "localhost" only.
    client = WsgiClient(app, use_cookies=False)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    statuses = []

    def send(case):
        response = case.call(app=app, session=client, headers={"Host": tenant.hostname, **credentials()})
        statuses.append(response.status_code)
        case.validate_response(response, checks=checks)

    for path_parameters, body, *query in seeded["examples"].get(operation.definition.raw["operationId"], []):
        send(operation.Case(path_parameters=path_parameters, body=body, query=query[0] if query else None,
                            media_type="application/json"))

    names = [parameter["name"] for parameter in operation.definition.raw.get("parameters", [])
             if parameter["in"] == "path"]
    strategies = [operation.as_strategy(), operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)]
    for name in names:
        for value in seeded["path"][name]:
            strategies.append(operation.as_strategy(path_parameters={name: value}))

    @given(case=st.one_of(strategies))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        send(case)

    run()
    return statuses


def session_of(user):
    """Headers of a signed-in browser session: its cookies and the CSRF token."""
    client = Client()
    client.force_login(user)
    csrf = get_random_string(32)
    cookie = (f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
              f"{settings.CSRF_COOKIE_NAME}={csrf}")
    return {"X-CSRFToken": csrf, "Cookie": cookie}


@pytest.mark.parametrize("operation_id", STUDENT_OPERATIONS)
def test_schemathesis_student_endpoints(operation_id, tenant, student, seeded, wsgi_app):
    def fresh_token():
        # A generated token id may name the caller's own token: each call has a new one.
        clear = api_services.create_personal_token(tenant=tenant, user=student, name="fuzz")[1]
        return {"Authorization": f"Bearer {clear}"}

    session = session_of(student)
    # Personal tokens are made from a browser session; everything else with a token.
    credentials = (lambda: session) if operation_id == "my_tokens_create" else fresh_token
    operation = _operations("/api/v1/me/")[operation_id]
    statuses = fuzz(operation, tenant=tenant, credentials=credentials, seeded=seeded, app=wsgi_app)
    assert any(200 <= status < 300 for status in statuses), f"{operation_id} never succeeded: {statuses}"


@pytest.mark.parametrize("operation_id", TENANT_OPERATIONS)
def test_schemathesis_tenant_key_endpoints(operation_id, tenant, seeded, wsgi_app):
    operation = _operations("/api/v1/tenant/")[operation_id]
    key = {"Authorization": f"Bearer {seeded['key']}"}
    statuses = fuzz(operation, tenant=tenant, credentials=lambda: key, seeded=seeded, app=wsgi_app)
    assert any(200 <= status < 300 for status in statuses), f"{operation_id} never succeeded: {statuses}"


@pytest.mark.parametrize("operation_id", PARTICIPANT_OPERATIONS)
def test_schemathesis_participant_link_endpoints(operation_id, tenant, seeded, wsgi_app):
    """A participant's manage link: no account, the token in the query."""
    operation = _operations("/api/v1/participants/")[operation_id]
    statuses = fuzz(operation, tenant=tenant, credentials=dict, seeded=seeded, app=wsgi_app)
    assert any(200 <= status < 300 for status in statuses), f"{operation_id} never succeeded: {statuses}"
    assert 403 in statuses or 404 in statuses
