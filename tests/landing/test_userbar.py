"""Wagtail's userbar (templates/base.html) is for editing the page shown: editors get it
on the tenant's pages; booking pages do without it, so signed-in students' pages cost no
permission queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import host_client, make_user
from tests.landing.conftest import make_workshops

pytestmark = pytest.mark.django_db


def test_an_editor_gets_the_userbar_on_the_landing_page(tenant, tenant_admin):
    html = host_client(tenant, user=tenant_admin).get("/").content.decode()
    assert "<wagtail-userbar" in html or "wagtail-userbar" in html


def test_a_student_is_not_offered_the_userbar(tenant):
    student = make_user("student@hanoi.test")
    assert "wagtail-userbar" not in host_client(tenant, user=student).get("/").content.decode()


def test_a_booking_page_asks_no_permissions_of_a_signed_in_student(tenant):
    teacher = make_user("linh@hanoi.test", first_name="Linh", last_name="Nguyen")
    session = make_workshops(tenant, [teacher], 1, sessions_each=1)[0].sessions.get()
    client = host_client(tenant, user=make_user("student@hanoi.test"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/book/session/{session.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Book: {session.event_type.title}" in html and 'method="post"' in html
    assert not [q["sql"] for q in queries if "auth_permission" in q["sql"]]
    assert "wagtail-userbar" not in html
