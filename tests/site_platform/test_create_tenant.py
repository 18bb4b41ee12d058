import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import CommandError, call_command
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Site

from site_platform.models import AuditEntry, Membership, Tenant, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=False)


def counts():
    return {
        "tenants": Tenant.objects.count(), "sites": Site.objects.count(), "pages": Page.objects.count(),
        "collections": Collection.objects.count(), "groups": Group.objects.count(),
        "users": User.objects.count(), "memberships": Membership.objects.count(),
        "page_perms": GroupPagePermission.objects.count(),
        "collection_perms": GroupCollectionPermission.objects.count(), "audit": AuditEntry.objects.count(),
    }


def test_command_creates_the_whole_tenant(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_tenant", "--name", "Hanoi English Centre", "--subdomain", "hanoi", "--template", "education",
            "--admin-email", "Owner@Hanoi.test",
        )
    tenant = Tenant.objects.get(subdomain="hanoi")
    assert tenant.name == "Hanoi English Centre"
    assert tenant.status == Tenant.Status.ACTIVE

    site = Site.objects.get(hostname="hanoi.platform.test")
    assert site.root_page_id == tenant.root_page_id
    landing = tenant.root_page.specific
    assert type(landing).__name__ == "EducationCentrePage"
    assert landing.live and landing.title == "Hanoi English Centre"
    assert landing.get_parent().depth == 1

    assert tenant.collection.get_parent() == Collection.get_first_root_node()
    group = tenant.admin_group
    assert set(GroupPagePermission.objects.filter(group=group).values_list("page_id", flat=True)) == {landing.pk}
    assert {"add_page", "change_page", "publish_page"} <= set(
        GroupPagePermission.objects.filter(group=group).values_list("permission__codename", flat=True))
    assert set(GroupCollectionPermission.objects.filter(group=group).values_list("collection_id", flat=True)) == {
        tenant.collection_id}
    assert group.permissions.filter(codename="access_admin").exists()

    admin = User.objects.get(email="owner@hanoi.test")
    assert Membership.objects.get(tenant=tenant, user=admin).role == Membership.Role.ADMIN
    assert admin.groups.filter(pk=group.pk).exists()
    assert not admin.has_usable_password()
    assert AuditEntry.objects.filter(tenant=tenant, action="tenant.created").exists()

    assert len(mail.outbox) == 1
    invitation = mail.outbox[0]
    assert invitation.to == ["owner@hanoi.test"]
    assert "Hanoi English Centre" in invitation.subject
    assert "/invite/" in invitation.body


def test_existing_account_gets_a_membership_not_a_new_user():
    existing = make_user("teacher@example.com")
    call_command("create_tenant", "--name", "Solo", "--subdomain", "solo", "--template", "tutor",
                 "--admin-email", "TEACHER@example.com")
    assert User.objects.filter(email="teacher@example.com").count() == 1
    assert Membership.objects.get(user=existing).tenant.subdomain == "solo"


@pytest.mark.parametrize(
    "subdomain, template, email, message",
    [
        ("Bad_Name", "education", "a@b.test", "is not a valid subdomain"),
        ("dash-", "education", "a@b.test", "is not a valid subdomain"),
        ("ab", "education", "a@b.test", "is not a valid subdomain"),
        ("www", "education", "a@b.test", "is reserved"),
        ("admin", "education", "a@b.test", "is reserved"),
        ("api", "education", "a@b.test", "is reserved"),
        ("fresh", "circus", "a@b.test", "Unknown template"),
        ("fresh", "education", "not-an-email", "not a valid email"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(subdomain, template, email, message):
    before = counts()
    with pytest.raises(CommandError, match=message):
        call_command("create_tenant", "--name", "X", "--subdomain", subdomain, "--template", template,
                     "--admin-email", email)
    assert counts() == before


def test_duplicate_subdomain_is_refused_and_creates_nothing(tenant):
    before = counts()
    with pytest.raises(CommandError, match="already taken"):
        call_command("create_tenant", "--name", "Another", "--subdomain", "hanoi", "--template", "education",
                     "--admin-email", "someone@else.test")
    assert counts() == before


def test_failure_midway_rolls_everything_back(tenant):
    """A custom domain already served by another tenant is refused after the rest validated."""
    Site.objects.create(hostname="taken.example.com", root_page=tenant.root_page)
    before = counts()
    with pytest.raises(CommandError, match="already used"):
        call_command("create_tenant", "--name", "New", "--subdomain", "newone", "--template", "kids_bright",
                     "--admin-email", "new@new.test", "--custom-domain", "taken.example.com")
    assert counts() == before


def test_invitation_link_sets_a_password_and_verifies_the_email(django_capture_on_commit_callbacks, client):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_tenant", "--name", "Kids", "--subdomain", "kids", "--template", "kids_playful",
                     "--admin-email", "boss@kids.test")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/invite/" in line).strip()
    path = link.split("platform.test", 1)[1]
    client = type(client)(HTTP_HOST="platform.test")
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert b"Set your password" in response.content
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"new_password1": "a-long-new-password-77", "new_password2": "a-long-new-password-77"})
    assert response.status_code == 302
    user = User.objects.get(email="boss@kids.test")
    assert user.check_password("a-long-new-password-77")
    assert user.emailaddress_set.get().verified
    # A used link does not work twice.
    assert b"This link has expired" in client.get(path, follow=True).content
