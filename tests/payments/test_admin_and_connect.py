from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.db import connection

from booking import publish_checks
from integrations.payments.models import Refund, StripeAccount
from site_platform.models import Membership
from site_platform.services.tenants import add_member
from tests.booking.booking_helpers import make_class
from tests.conftest import host_client
from tests.payments.conftest import book, connect_account, deliver, session_id_of, start_checkout


def _paid(event_type, session, student, fake, account_id, commit):
    booking = book(event_type, session, student, commit)
    url = start_checkout(booking, commit)
    for event in fake.pay(session_id_of(url), account=account_id):
        deliver(fake, event, commit)
    return booking


def test_transaction_history_is_tenant_scoped_with_totals_and_exports(tenant, other_tenant, teacher, connected,
                                                                      fake_stripe, student, tenant_admin,
                                                                      other_tenant_admin, superadmin, commit):
    add_member(other_tenant, teacher.email, Membership.Role.TEACHER)
    account_b = connect_account(other_tenant, fake_stripe)
    class_a, sessions_a = make_class(tenant, teacher, price=Decimal("10.00"), title="Hanoi class")
    class_b, sessions_b = make_class(other_tenant, teacher, price=Decimal("12.00"), title="Saigon class")
    _paid(class_a, sessions_a[0], student, fake_stripe, connected.account_id, commit)
    booking_b = _paid(class_b, sessions_b[0], student, fake_stripe, account_b.account_id, commit)

    admin_a = host_client(user=tenant_admin)
    page = admin_a.get("/admin/payments/transactions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hanoi class" in html and "Saigon class" not in html
    assert "10.00" in html
    csv = admin_a.get("/admin/payments/transactions/?export=csv")
    body = b"".join(csv.streaming_content).decode() if csv.streaming else csv.content.decode()
    assert "Hanoi class" in body and "Saigon class" not in body
    xlsx = admin_a.get("/admin/payments/transactions/?export=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    assert student.email in html
    filtered = admin_a.get("/admin/payments/transactions/?status=refunded").content.decode()
    assert student.email not in filtered

    root = host_client(user=superadmin).get("/admin/payments/transactions/").content.decode()
    assert "Hanoi class" in root and "Saigon class" in root

    # B's refund is invisible to A's admin, and retrying it answers 404.
    refund = Refund.objects.create(tenant=other_tenant, payment=booking_b.payment, purpose=Refund.Purpose.CANCELLATION,
                                   amount=Decimal("1.00"), currency="USD", payment_intent_id="pi_x",
                                   idempotency_key="k-b", status=Refund.Status.FAILED, last_error="boom")
    assert "boom" not in admin_a.get("/admin/payments/refunds/").content.decode()
    assert "boom" in host_client(user=other_tenant_admin).get("/admin/payments/refunds/").content.decode()
    assert admin_a.post(f"/admin/payments/refunds/{refund.pk}/retry/").status_code == 404


def test_connect_with_stripe_oauth_stores_tokens_encrypted_and_disconnects(tenant, fake_stripe, tenant_admin,
                                                                          commit):
    client = host_client(user=tenant_admin)
    screen = client.get("/admin/payments/stripe/").content.decode()
    assert "Not connected" in screen and "Connect with Stripe" in screen
    response = client.post("/admin/payments/stripe/", {"tenant": tenant.pk, "action": "connect"})
    assert response.status_code == 302
    authorize = urlsplit(response["Location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/oauth/authorize" and query["client_id"] == ["ca_test_platform"]
    assert query["redirect_uri"] == ["http://platform.test/admin/payments/stripe/callback/"]
    account_id = fake_stripe.add_account(name="Hanoi English Centre", connected=False)
    code = fake_stripe.authorize(account_id)
    with commit(execute=True):
        back = client.get("/admin/payments/stripe/callback/", {"code": code, "state": query["state"][0]})
    assert back.status_code == 302
    account = StripeAccount.objects.get(tenant=tenant)
    assert account.account_id == account_id and account.is_connected and account.access_token.startswith("sk_test_oauth")
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM payments_stripeaccount WHERE id = %s", [account.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("fernet:") for value in raw)
    assert "Hanoi English Centre" in client.get("/admin/payments/stripe/").content.decode()
    # A stolen state (another user) is refused.
    client.post("/admin/payments/stripe/", {"tenant": tenant.pk, "action": "disconnect"})
    account.refresh_from_db()
    assert account.status == StripeAccount.Status.DISCONNECTED and account.access_token == ""
    assert fake_stripe.requests_to("POST", "/oauth/deauthorize")[0].params["stripe_user_id"] == account_id


def test_oauth_state_of_another_admin_or_tenant_is_refused(tenant, other_tenant, fake_stripe, tenant_admin,
                                                           other_tenant_admin):
    response = host_client(user=other_tenant_admin).post("/admin/payments/stripe/",
                                                         {"tenant": other_tenant.pk, "action": "connect"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    code = fake_stripe.authorize(fake_stripe.add_account(connected=False))
    host_client(user=tenant_admin).get("/admin/payments/stripe/callback/", {"code": code, "state": state})
    assert not StripeAccount.objects.exists()
    assert host_client(user=tenant_admin).post("/admin/payments/stripe/",
                                               {"tenant": other_tenant.pk, "action": "connect"}).status_code == 404


def test_connect_with_keys_when_the_platform_allows_it(tenant, fake_stripe, tenant_admin, settings):
    client = host_client(user=tenant_admin)
    fake_stripe.add_account("acct_keys", name="Own keys school", secret_key="sk_test_own")
    refused = client.post("/admin/payments/stripe/", {"tenant": tenant.pk, "action": "keys",
                                                      "secret_key": "sk_test_own"}, follow=True)
    assert "not enabled" in refused.content.decode() and not StripeAccount.objects.exists()
    settings.STRIPE_ALLOW_ACCOUNT_KEYS = True
    client.post("/admin/payments/stripe/", {"tenant": tenant.pk, "action": "keys", "secret_key": "sk_test_wrong"})
    assert not StripeAccount.objects.exists()
    client.post("/admin/payments/stripe/", {"tenant": tenant.pk, "action": "keys", "secret_key": "sk_test_own",
                                            "webhook_secret": "whsec_own"})
    account = StripeAccount.objects.get(tenant=tenant)
    assert account.account_id == "acct_keys" and account.mode == StripeAccount.Mode.KEYS
    assert account.secret_key == "sk_test_own"


def test_paid_event_type_cannot_be_published_without_an_account(tenant, teacher, fake_stripe, tenant_admin):
    event_type, _sessions = make_class(tenant, teacher, price=Decimal("5"), title="Paid", is_published=False)
    problems = publish_checks.publish_problems(tenant=tenant, event_type=event_type, is_published=True,
                                               price=Decimal("5"))
    assert problems and "Stripe account" in problems[0]
    assert publish_checks.publish_problems(tenant=tenant, event_type=event_type, is_published=True,
                                           price=Decimal("0")) == []
    assert publish_checks.publish_problems(tenant=tenant, event_type=event_type, is_published=False,
                                           price=Decimal("5")) == []
    client = host_client(user=tenant_admin)
    edit = client.get(f"/admin/event-types/edit/{event_type.pk}/")
    assert edit.status_code == 200
    form = edit.context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is not None:
            data[name] = value.pk if hasattr(value, "pk") else value
    for formset in form.formsets.values():
        management = formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for index, sub in enumerate(formset.forms):
            for name in sub.fields:
                value = sub.initial.get(name)
                if value is not None:
                    data[f"{sub.prefix}-{name}"] = value.pk if hasattr(value, "pk") else value
            data[f"{sub.prefix}-id"] = sub.instance.pk
    data["is_published"] = "on"
    data["questions"] = "[]"
    response = client.post(f"/admin/event-types/edit/{event_type.pk}/", data)
    assert response.status_code == 200
    assert "cannot be published until the school" in response.content.decode()
    event_type.refresh_from_db()
    assert event_type.is_published is False
    connect_account(tenant, fake_stripe)
    response = client.post(f"/admin/event-types/edit/{event_type.pk}/", data)
    assert response.status_code == 302
    event_type.refresh_from_db()
    assert event_type.is_published is True
