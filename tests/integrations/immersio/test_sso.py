"""Single sign-on from Immersio: each failure shows a page and signs nobody in."""

import time

import jwt
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from integrations.models import ImmersioLink, SsoTokenUse
from tests.conftest import host_client, make_user

URL = "/sso/immersio/"
User = get_user_model()


def token(tenant, *, secret=None, **claims):
    now = int(time.time())
    body = {"iss": "immersio", "aud": tenant.hostname, "sub": "imm_42", "email": "An.Le@Example.com",
            "email_verified": True, "name": "An Le", "role": "student", "iat": now, "exp": now + 300,
            "jti": "jti-1"}
    body.update(claims)
    for name in [k for k, v in body.items() if v is None]:
        del body[name]
    return jwt.encode(body, secret or f"sso-{tenant.subdomain}-0123456789abcdef0123456789abcdef", algorithm="HS256")


def signed_in(client):
    return "_auth_user_id" in client.session


def test_first_sight_creates_links_and_signs_in(tenant, connection):
    client = host_client(tenant)
    response = client.get(URL, {"token": token(tenant), "next": "/classes/ielts/?week=2"})
    assert response.status_code == 302 and response["Location"] == "/classes/ielts/?week=2"
    user = User.objects.get(email="an.le@example.com")
    assert signed_in(client) and int(client.session["_auth_user_id"]) == user.pk
    assert (user.first_name, user.last_name) == ("An", "Le") and not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert ImmersioLink.objects.get(tenant=tenant, kind="student", immersio_id="imm_42").local_id == user.pk


def test_existing_account_is_linked_and_verified(tenant, connection):
    existing = make_user("an.le@example.com", verified=False)
    client = host_client(tenant)
    client.get(URL, {"token": token(tenant), "next": "/"})
    assert int(client.session["_auth_user_id"]) == existing.pk
    assert EmailAddress.objects.get(user=existing).verified
    assert User.objects.filter(email="an.le@example.com").count() == 1


def test_linked_account_is_found_by_immersio_id(tenant, connection):
    host_client(tenant).get(URL, {"token": token(tenant)})
    client = host_client(tenant)
    client.get(URL, {"token": token(tenant, jti="jti-2", email="new.address@example.com")})
    assert User.objects.get(pk=client.session["_auth_user_id"]).email == "an.le@example.com"


@pytest.mark.parametrize("claims, code, text", [
    ({"exp": int(time.time()) - 60, "iat": int(time.time()) - 200}, "expired", "has expired"),
    ({"aud": "saigon.platform.test"}, "wrong_tenant", "another school"),
    ({"iss": "someone-else"}, "bad_issuer", "not issued by Immersio"),
    ({"exp": int(time.time()) + 3600}, "lifetime", "too long"),
    ({"jti": None}, "incomplete", "missing information"),
])
def test_each_bad_token_shows_a_page_and_signs_nobody_in(tenant, connection, claims, code, text):
    client = host_client(tenant)
    response = client.get(URL, {"token": token(tenant, **claims), "next": "/account/"})
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not signed_in(client)
    assert not User.objects.filter(email="an.le@example.com").exists()


def test_bad_signature(tenant, connection):
    client = host_client(tenant)
    response = client.get(URL, {"token": token(tenant, secret="forged-0123456789abcdef0123456789abcdef")})
    assert response.status_code == 400 and "not signed by this school" in response.content.decode()
    assert not signed_in(client)


def test_missing_and_garbage_token(tenant, connection):
    assert "has no token" in host_client(tenant).get(URL).content.decode()
    response = host_client(tenant).get(URL, {"token": "not.a.jwt"})
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_replayed_token_is_refused(tenant, connection):
    good = token(tenant)
    first = host_client(tenant)
    assert first.get(URL, {"token": good}).status_code == 302
    second = host_client(tenant)
    response = second.get(URL, {"token": good})
    assert response.status_code == 400 and "already been used" in response.content.decode()
    assert not signed_in(second)
    assert SsoTokenUse.objects.count() == 1


def test_token_of_one_tenant_on_the_other_tenants_host(tenant, connection, other_tenant, other_connection):
    client = host_client(other_tenant)
    response = client.get(URL, {"token": token(tenant)})  # hanoi's secret and audience
    assert response.status_code == 400 and not signed_in(client)
    wrong_audience = token(tenant, secret="sso-saigon-0123456789abcdef0123456789abcdef")  # saigon's secret, hanoi's audience
    response = client.get(URL, {"token": wrong_audience})
    assert "another school" in response.content.decode() and not signed_in(client)


def test_unverified_email_of_an_existing_account_is_refused(tenant, connection):
    make_user("an.le@example.com")
    client = host_client(tenant)
    response = client.get(URL, {"token": token(tenant, email_verified=False)})
    assert response.status_code == 400 and not signed_in(client)
    assert not SsoTokenUse.objects.exists()


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/path", "http://hanoi.platform.test.evil.example/", "/\\evil.example",
    "javascript:alert(1)", "",
])
def test_next_off_host_goes_home(tenant, connection, target):
    response = host_client(tenant).get(URL, {"token": token(tenant), "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_not_configured(tenant):
    response = host_client(tenant).get(URL, {"token": token(tenant)})
    assert response.status_code == 400 and "not set up" in response.content.decode()
