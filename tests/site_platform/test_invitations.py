"""Invitations: invite, accept (new person, existing account), expired, reused,
revoked, resent, over the plan's teacher limit; the admin screens stay within the tenant."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from site_platform import usage
from site_platform.models import AuditEntry, Invitation, Membership, Plan
from site_platform.services import invitations
from site_platform.services.tenants import add_member
from tests.conftest import PASSWORD, host_client, make_user

pytestmark = pytest.mark.django_db

LINK_RE = re.compile(r"https?://[^\s\"<]+/invitations/([^/\s\"<]+)/")


def sent_token(email):
    message = [m for m in mail.outbox if email in m.to][-1]
    return LINK_RE.search(message.body).group(1)


@pytest.fixture
def invited(tenant, tenant_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitations.invite(tenant, "Mai@Example.com", "Mai Tran", Membership.Role.TEACHER, tenant_admin)
    return invitation, sent_token("mai@example.com")


def test_invite_sends_an_email_with_a_single_link_and_stores_only_a_hash(tenant, invited):
    invitation, token = invited
    message = mail.outbox[-1]
    assert message.to == ["mai@example.com"]
    assert "Hanoi English Centre" in message.subject
    assert f"/invitations/{token}/" in message.body
    assert f"/invitations/{token}/" in message.alternatives[0][0]
    assert invitation.token_hash == invitations.hash_token(token) and token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at >= timedelta(days=6, hours=23)
    assert AuditEntry.objects.filter(tenant=tenant, action="invitation.created").exists()


def test_new_person_sets_a_password_and_becomes_a_teacher(tenant, invited):
    invitation, token = invited
    client = host_client()
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hanoi English Centre" in text and "mai@example.com" in text and "Teacher" in text
    response = client.post(f"/invitations/{token}/", {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"].endswith("/admin/")
    user = get_user_model().objects.get(email="mai@example.com")
    assert user.check_password(PASSWORD) and user.first_name == "Mai" and user.last_name == "Tran"
    membership = Membership.objects.get(tenant=tenant, user=user)
    assert membership.role == "teacher" and membership.is_active
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.state() == "accepted"
    assert client.get("/admin/").status_code == 200  # signed in, with admin access
    assert AuditEntry.objects.filter(tenant=tenant, action="invitation.accepted", actor=user).exists()


def test_a_reused_link_is_refused(tenant, invited):
    _invitation, token = invited
    host_client().post(f"/invitations/{token}/", {"password1": PASSWORD, "password2": PASSWORD})
    again = host_client().get(f"/invitations/{token}/")
    assert again.status_code == 410
    assert "already accepted" in again.content.decode()
    with pytest.raises(invitations.InvitationError) as refusal:
        invitations.accept(token, get_user_model().objects.get(email="mai@example.com"))
    assert refusal.value.code == "used"


def test_an_expired_link_is_refused(tenant, invited):
    invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = host_client().get(f"/invitations/{token}/")
    assert page.status_code == 410 and "expired" in page.content.decode()
    refused = host_client().post(f"/invitations/{token}/", {"password1": PASSWORD, "password2": PASSWORD})
    assert refused.status_code == 410
    assert not Membership.objects.filter(tenant=tenant, user__email="mai@example.com").exists()


def test_a_revoked_link_is_refused(tenant, tenant_admin, invited):
    invitation, token = invited
    assert invitations.revoke(invitation, tenant_admin) is True
    assert invitations.revoke(invitation, tenant_admin) is False  # twice changes nothing
    page = host_client().get(f"/invitations/{token}/")
    assert page.status_code == 410 and "withdrawn" in page.content.decode()
    assert not get_user_model().objects.filter(email="mai@example.com").exists()


def test_an_unknown_token_is_404(db):
    assert host_client().get("/invitations/not-a-real-token/").status_code == 404


def test_resend_kills_the_old_link(tenant, tenant_admin, invited, django_capture_on_commit_callbacks):
    invitation, old_token = invited
    with django_capture_on_commit_callbacks(execute=True):
        invitations.resend(invitation, tenant_admin)
    new_token = sent_token("mai@example.com")
    assert new_token != old_token
    assert host_client().get(f"/invitations/{old_token}/").status_code == 404
    assert host_client().get(f"/invitations/{new_token}/").status_code == 200


def test_an_existing_account_signs_in_and_accepts(tenant, tenant_admin, other_tenant, django_capture_on_commit_callbacks):
    existing = make_user("mai@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invite(tenant, existing.email, "", Membership.Role.ADMIN, tenant_admin)
    token = sent_token(existing.email)
    anonymous = host_client().get(f"/invitations/{token}/").content.decode()
    assert "Sign in" in anonymous and "password1" not in anonymous
    # A visitor cannot take over the existing account by setting a password.
    host_client().post(f"/invitations/{token}/", {"password1": "x" + PASSWORD, "password2": "x" + PASSWORD})
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert not Membership.objects.filter(user=existing).exists()

    someone_else = host_client(user=make_user("eve@example.com"))
    assert someone_else.post(f"/invitations/{token}/").status_code == 400
    assert not Membership.objects.filter(user=existing).exists()

    client = host_client(user=existing)
    assert "Accept" in client.get(f"/invitations/{token}/").content.decode()
    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 302
    membership = Membership.objects.get(user=existing, tenant=tenant)
    assert membership.role == "admin"
    assert existing.groups.filter(pk=tenant.admin_group_id).exists()
    assert not Membership.objects.filter(user=existing, tenant=other_tenant).exists()


def test_over_the_teacher_limit_is_refused_with_the_limit_named(tenant, tenant_admin, teacher):
    plan = Plan.objects.create(code="tiny", name="Tiny", max_teachers=2)
    tenant.plan = plan
    tenant.save()
    invitations.invite(tenant, "second@example.com", "", Membership.Role.TEACHER, tenant_admin)
    with pytest.raises(usage.PlanLimitError) as refusal:
        invitations.invite(tenant, "third@example.com", "", Membership.Role.TEACHER, tenant_admin)
    assert "Tiny plan allows 2 teachers" in refusal.value.message
    # An admin is not a teacher: not counted.
    invitations.invite(tenant, "boss@example.com", "", Membership.Role.ADMIN, tenant_admin)


def test_accepting_when_the_plan_filled_up_meanwhile_is_refused(tenant, tenant_admin, invited):
    invitation, token = invited
    tenant.plan = Plan.objects.create(code="solo", name="Solo", max_teachers=1)
    tenant.save()
    add_member(tenant, "first@example.com", Membership.Role.TEACHER)
    response = host_client().post(f"/invitations/{token}/", {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400
    assert "Solo plan allows 1 teacher." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state() == "pending"
    assert not get_user_model().objects.filter(email="mai@example.com").exists()  # rolled back


def test_an_active_member_or_a_pending_invitee_is_not_invited_twice(tenant, tenant_admin, teacher, invited):
    with pytest.raises(invitations.InvitationError) as member:
        invitations.invite(tenant, teacher.email.upper(), "", Membership.Role.TEACHER, tenant_admin)
    assert member.value.code == "already_member"
    with pytest.raises(invitations.InvitationError) as pending:
        invitations.invite(tenant, "mai@example.com", "", Membership.Role.TEACHER, tenant_admin)
    assert pending.value.code == "already_invited"


def test_admin_screen_invites_lists_resends_and_revokes(tenant, tenant_admin):
    client = host_client(user=tenant_admin)
    response = client.post("/admin/invitations/new/", {"tenant": tenant.pk, "email": "new@example.com",
                                                       "name": "New Teacher", "role": "teacher"})
    assert response.status_code == 302, response.content.decode()[:2000]
    invitation = Invitation.objects.get(email="new@example.com", tenant=tenant)
    assert invitation.invited_by == tenant_admin
    listing = client.get("/admin/invitations/").content.decode()
    assert "new@example.com" in listing and "Pending" in listing
    assert "new@example.com" in client.get("/admin/invitations/?state=pending").content.decode()
    assert "new@example.com" not in client.get("/admin/invitations/?state=accepted").content.decode()
    old_hash = invitation.token_hash
    assert client.post(f"/admin/invitations/{invitation.pk}/resend/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.token_hash != old_hash
    assert client.post(f"/admin/invitations/{invitation.pk}/revoke/").status_code == 302
    invitation.refresh_from_db()
    assert invitation.state() == "revoked"
    assert "Revoked" in client.get("/admin/invitations/?state=revoked").content.decode()


def test_admin_screen_names_the_limit(tenant, tenant_admin, teacher):
    tenant.plan = Plan.objects.create(code="solo", name="Solo", max_teachers=1)
    tenant.save()
    page = host_client(user=tenant_admin).post("/admin/invitations/new/", {
        "tenant": tenant.pk, "email": "new@example.com", "name": "", "role": "teacher"})
    assert page.status_code == 200
    assert "Solo plan allows 1 teacher." in page.content.decode()
    assert not Invitation.objects.exists()


def test_another_tenants_invitations_are_out_of_reach(tenant, other_tenant, tenant_admin, other_tenant_admin):
    theirs = invitations.invite(other_tenant, "secret@example.com", "", Membership.Role.TEACHER, other_tenant_admin)
    client = host_client(user=tenant_admin)
    assert "secret@example.com" not in client.get("/admin/invitations/").content.decode()
    for url in (f"/admin/invitations/inspect/{theirs.pk}/", f"/admin/invitations/{theirs.pk}/resend/",
                f"/admin/invitations/{theirs.pk}/revoke/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/invitations/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state() == "pending"
    refused = client.post("/admin/invitations/new/", {"tenant": other_tenant.pk, "email": "x@example.com",
                                                      "role": "teacher"})
    assert refused.status_code == 200 and not Invitation.objects.filter(email="x@example.com").exists()


def test_a_teacher_cannot_invite(tenant, teacher, invited):
    client = host_client(user=teacher)
    invitation, _token = invited
    for url in ("/admin/invitations/", "/admin/invitations/new/", f"/admin/invitations/{invitation.pk}/revoke/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert "login" not in response["Location"]
