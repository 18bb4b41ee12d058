"""Signing in with allauth: email verification and login by emailed code."""

import re

import pytest
from django.core import mail

from site_platform.models import User
from tests.conftest import PASSWORD, host_client, make_user

pytestmark = pytest.mark.django_db


def test_signup_needs_a_verified_email_before_signing_in(tenant):
    client = host_client(tenant)
    response = client.post("/accounts/signup/", {"email": "New.Student@Example.com", "password1": PASSWORD,
                                                 "password2": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="new.student@example.com")
    assert not user.emailaddress_set.get().verified
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith("http://hanoi.platform.test/")  # the link goes back to the tenant's own site

    # Not verified yet: signing in leads to "verify your email", not to a session.
    client = host_client(tenant)
    client.post("/accounts/login/", {"login": "new.student@example.com", "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    path = link.split("hanoi.platform.test", 1)[1]
    client.post(path)
    assert user.emailaddress_set.get().verified
    client = host_client(tenant)
    client.post("/accounts/login/", {"login": "new.student@example.com", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_by_code(tenant):
    user = make_user("coder@example.com")
    client = host_client(tenant)
    response = client.post("/accounts/login/code/", {"email": "coder@example.com"})
    assert response.status_code == 302
    message = mail.outbox[0]
    assert "Hanoi English Centre" in message.body  # the tenant's name, not a host name
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.M).group(1)
    wrong = client.post("/accounts/login/code/confirm/", {"code": "AAAA-AAAA"})
    assert "_auth_user_id" not in client.session
    assert wrong.status_code == 200
    client.post("/accounts/login/code/confirm/", {"code": code})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_emails_are_one_account_whatever_the_case(db):
    make_user("same@example.com")
    client = host_client()
    client.post("/accounts/signup/", {"email": "SAME@example.com", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.filter(email__iexact="same@example.com").count() == 1
