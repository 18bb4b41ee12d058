"""Switching a tenant's landing page to another design keeps everything else."""

import pytest
from django.urls import reverse
from wagtail.models import Page, Revision

from landing.models import EducationCentrePage, KidsBrightPage, PersonalTutorPage
from landing.services import LandingError, switch_template
from site_platform.models import AuditEntry, Tenant
from tests.conftest import host_client
from tests.landing.conftest import full_body, make_image, set_body

pytestmark = pytest.mark.django_db


def test_switch_keeps_content_id_url_revisions_and_state(tenant, tenant_admin):
    image = make_image("Share")
    page = set_body(tenant, full_body(image), seo_title="Learn English", search_description="Evening classes",
                    og_image=image)
    page.title = "Hanoi English Centre"
    page.body = [{"type": "text", "value": "<p>A draft not yet published</p>"}] + list(page.body.raw_data)
    page.save_revision()  # an unpublished draft on top of the live version
    before = Page.objects.get(pk=page.pk)
    revisions_before = list(Revision.page_revisions.filter(object_id=str(page.pk)).values_list("pk", flat=True))
    live_body = host_client(tenant).get("/").content.decode()

    switched = switch_template(tenant, "tutor", actor=tenant_admin)

    assert isinstance(switched, PersonalTutorPage)
    assert not EducationCentrePage.objects.filter(pk=page.pk).exists()
    after = Page.objects.get(pk=page.pk)
    for field in ["pk", "path", "depth", "url_path", "slug", "title", "live", "has_unpublished_changes",
                  "live_revision_id", "latest_revision_id", "seo_title", "search_description"]:
        assert getattr(after, field) == getattr(before, field), field
    assert after.specific_class is PersonalTutorPage
    assert switched.og_image_id == image.pk
    assert [block.block_type for block in switched.body] == [block.block_type for block in page.body][1:] \
        or len(switched.body) == len(full_body(image))
    assert list(Revision.page_revisions.filter(object_id=str(page.pk)).values_list("pk", flat=True)) == revisions_before

    # The live revision and the draft both open as the new type with their own content.
    live = switched.live_revision.as_object()
    assert isinstance(live, PersonalTutorPage) and live.body[0].block_type == "hero"
    draft = switched.get_latest_revision_as_object()
    assert isinstance(draft, PersonalTutorPage) and "A draft not yet published" in str(draft.body[0].value)

    tenant.refresh_from_db()
    assert tenant.template == "tutor"
    entry = AuditEntry.objects.get(action="landing.template_switched")
    assert entry.tenant == tenant and entry.actor == tenant_admin
    assert entry.data == {"previous": "education", "template": "tutor"}

    response = host_client(tenant).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "design-tutor" in html and "landing/personal_tutor_page.html" in [t.name for t in response.templates]
    for text in ["Speak English with confidence", "Teacher 1", "Can I cancel?", "Learn English"]:
        assert text in html and text in live_body
    assert "A draft not yet published" not in html


def test_switch_back_and_forth_through_every_design(tenant):
    set_body(tenant, full_body())
    for key in ["kids_bright", "small_centre", "kids_playful", "tutor", "education"]:
        page = switch_template(tenant, key)
        assert Tenant.objects.get(pk=tenant.pk).template == key
        assert host_client(tenant).get("/").status_code == 200
        assert len(page.body) == len(full_body())


def test_switch_refuses_unknown_same_and_foreign(tenant, other_tenant_admin):
    with pytest.raises(LandingError) as unknown:
        switch_template(tenant, "circus")
    assert unknown.value.code == "template_unknown"
    with pytest.raises(LandingError) as same:
        switch_template(tenant, "education")
    assert same.value.code == "template_unchanged"
    with pytest.raises(LandingError) as foreign:
        switch_template(tenant, "tutor", actor=other_tenant_admin)
    assert foreign.value.code == "not_allowed"
    assert type(Page.objects.get(pk=tenant.root_page_id).specific) is EducationCentrePage


def test_admin_view_switches_design_for_the_tenants_own_admin(tenant, tenant_admin, other_tenant):
    admin = host_client(user=tenant_admin)
    edit = admin.get(reverse("wagtailadmin_pages:edit", args=[tenant.root_page_id]))
    url = reverse("landing_switch_template", args=[tenant.root_page_id])
    assert url in edit.content.decode()  # the header button

    form = admin.get(url)
    assert form.status_code == 200
    assert "Kids (bright)" in form.content.decode()

    response = admin.post(url, {"template": "kids_bright"})
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[tenant.root_page_id])
    assert type(Page.objects.get(pk=tenant.root_page_id).specific) is KidsBrightPage
    assert AuditEntry.objects.filter(tenant=tenant, action="landing.template_switched", actor=tenant_admin).exists()

    other_url = reverse("landing_switch_template", args=[other_tenant.root_page_id])
    assert admin.get(other_url).status_code == 404
    assert admin.post(other_url, {"template": "tutor"}).status_code == 404
    other_tenant.refresh_from_db()
    assert other_tenant.template == "small_centre"


def test_admin_view_rejects_an_unknown_design(tenant, tenant_admin):
    admin = host_client(user=tenant_admin)
    response = admin.post(reverse("landing_switch_template", args=[tenant.root_page_id]), {"template": "circus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
