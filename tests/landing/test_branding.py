"""Branding site settings: contrast rules, per-tenant editing, use on the page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from landing.colours import contrast_ratio, readable_on
from landing.designs import DESIGNS
from landing.models import BrandingSettings
from tests.conftest import host_client, make_tenant

pytestmark = pytest.mark.django_db


def site_of(tenant):
    return tenant.root_page.sites_rooted_here.get(hostname=tenant.hostname)


def edit_url(site):
    return reverse("wagtailsettings:edit", args=["landing", "brandingsettings", site.pk])


def branding_form(**overrides):
    data = {
        "logo": "", "favicon": "", "use_custom_colours": "on",
        "primary_colour": "#1d4ed8", "on_primary_colour": "#ffffff",
        "secondary_colour": "#fde68a", "on_secondary_colour": "#111827",
        "font": "", "default_cta_text": "Book a trial", "default_cta_link": "#classes",
        "facebook_url": "", "instagram_url": "", "youtube_url": "", "tiktok_url": "", "zalo_url": "",
        "linkedin_url": "", "x_url": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_contrast_ratio_matches_wcag():
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_ratio("#1d4ed8", "#ffffff") > 4.5
    assert contrast_ratio(readable_on("#ffffff", "#fde047"), "#ffffff") >= 4.5


@pytest.mark.parametrize("key", list(DESIGNS))
def test_every_design_palette_passes_aa(key):
    design = DESIGNS[key]
    assert contrast_ratio(design.primary, design.on_primary) >= 4.5
    assert contrast_ratio(design.secondary, design.on_secondary) >= 4.5


@pytest.mark.parametrize("field, values", [
    ("primary_colour", {"primary_colour": "#fbbf24", "on_primary_colour": "#ffffff"}),
    ("secondary_colour", {"secondary_colour": "#94a3b8", "on_secondary_colour": "#ffffff"}),
])
def test_low_contrast_pair_is_refused_by_model_clean(tenant, field, values):
    branding = BrandingSettings(site=site_of(tenant), use_custom_colours=True, **values)
    with pytest.raises(ValidationError) as refused:
        branding.full_clean()
    assert field in refused.value.message_dict
    assert "WCAG AA" in refused.value.message_dict[field][0]


def test_template_colours_are_not_checked_when_custom_colours_are_off(tenant):
    branding = BrandingSettings(site=site_of(tenant), use_custom_colours=False, primary_colour="#fbbf24")
    branding.full_clean()


def test_admin_form_refuses_low_contrast_with_a_clear_message(tenant, tenant_admin):
    site = site_of(tenant)
    admin = host_client(user=tenant_admin)
    response = admin.post(edit_url(site), branding_form(primary_colour="#ffd54f", on_primary_colour="#ffffff"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Text on the primary colour would be hard to read" in html
    assert "needs to be at least 4.5:1" in html
    assert not BrandingSettings.objects.filter(site=site, use_custom_colours=True).exists()

    response = admin.post(edit_url(site), branding_form())
    assert response.status_code == 302
    assert BrandingSettings.objects.get(site=site).primary_colour == "#1d4ed8"


def assert_refused(response):
    """Wagtail's admin answers PermissionDenied with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


def test_tenant_admin_edits_only_their_own_sites_branding(tenant, tenant_admin, other_tenant, other_tenant_admin):
    mine, theirs = site_of(tenant), site_of(other_tenant)
    admin = host_client(user=tenant_admin)

    # The menu entry sends the admin to their own site, whatever host they are on.
    response = admin.get(reverse("wagtailsettings:edit", args=["landing", "brandingsettings"]))
    assert response.status_code == 302 and response["Location"] == edit_url(mine)

    own = admin.get(edit_url(mine))
    assert own.status_code == 200
    assert other_tenant.hostname not in own.content.decode()  # not offered in a site switcher

    assert_refused(admin.get(edit_url(theirs)))
    assert_refused(admin.post(edit_url(theirs), branding_form(default_cta_text="Hijacked")))
    assert not BrandingSettings.objects.filter(site=theirs, default_cta_text="Hijacked").exists()

    policy = BrandingSettings.get_permission_policy()
    assert list(policy.sites_user_has_permission_for(tenant_admin, "change")) == [mine]
    assert list(policy.sites_user_has_permission_for(other_tenant_admin, "change")) == [theirs]


def test_tenant_admin_group_holds_the_branding_permission(tenant, tenant_admin):
    assert tenant_admin.has_perm("landing.change_brandingsettings")
    assert tenant.admin_group.permissions.filter(codename="change_brandingsettings").exists()


def test_superadmin_sees_every_site(tenant, other_tenant, superadmin):
    admin = host_client(user=superadmin)
    assert admin.get(edit_url(site_of(other_tenant))).status_code == 200
    sites = BrandingSettings.get_permission_policy().sites_user_has_permission_for(superadmin, "change")
    assert {site_of(tenant), site_of(other_tenant)} <= set(sites)


def test_branding_reaches_only_its_own_tenants_pages(tenant, other_tenant):
    BrandingSettings.objects.create(
        site=site_of(tenant), use_custom_colours=True, primary_colour="#0b6e4f", on_primary_colour="#ffffff",
        secondary_colour="#fde68a", on_secondary_colour="#111827", font="lora",
        default_cta_text="Book a trial", default_cta_link="#classes", zalo_url="https://zalo.me/hanoi",
    )
    html = host_client(tenant).get("/").content.decode()
    assert "--primary:#0b6e4f;" in html and "--on-primary:#ffffff;" in html
    assert '--font-body:"Lora"' in html
    assert "https://zalo.me/hanoi" in html and "Book a trial" in html

    other = host_client(other_tenant).get("/").content.decode()
    assert "#0b6e4f" not in other and "zalo.me/hanoi" not in other and "Book a trial" not in other
    assert f"--primary:{DESIGNS['small_centre'].primary};" in other


def test_custom_domain_shows_the_primary_sites_branding(db):
    tenant = make_tenant("danang", custom_domain="englishdanang.test")
    BrandingSettings.objects.create(site=site_of(tenant), default_cta_text="Call us", default_cta_link="#c")
    from django.test import Client

    html = Client(HTTP_HOST="englishdanang.test").get("/").content.decode()
    assert "Call us" in html
    assert BrandingSettings.objects.count() == 1
