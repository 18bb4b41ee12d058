"""Teacher profiles (photo, display name, bio, languages, levels, time zone): edited by
the teacher or their school's admin, shown live on the landing page's teacher block and
in the event-type profile card; the teacher chooser and school switcher stay per tenant."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from PIL import Image as PILImage
from wagtail.images import get_image_model

from booking.services import teachers as teacher_service
from site_platform.models import AuditEntry, Membership
from tests.booking.booking_helpers import make_class
from tests.booking.helpers import make_teacher
from tests.conftest import host_client
from tests.landing.conftest import set_body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_cache(settings, tmp_path):
    from django.core.cache import cache

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def jpeg(name="me.jpg"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (300, 300), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def profile_url(membership):
    return f"/admin/teachers/{membership.pk}/profile/"


PROFILE = {"display_name": "Cô Linh", "bio": "Ten years of IELTS.\nPatient and precise.",
           "languages": "English, Vietnamese", "levels": "A2, B1, IELTS", "timezone": "Asia/Ho_Chi_Minh"}


def test_a_teacher_edits_their_own_profile_with_a_photo(tenant, teacher):
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    client = host_client(user=teacher)
    assert client.get(f"/admin/teacher/profile/{tenant.pk}/")["Location"] == profile_url(membership)
    response = client.post(profile_url(membership), {**PROFILE, "photo_upload": jpeg()})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.public_name == "Cô Linh"
    assert membership.language_list() == ["English", "Vietnamese"]
    assert membership.level_list() == ["A2", "B1", "IELTS"]
    assert membership.photo.collection_id == tenant.collection_id  # in the school's own collection
    assert AuditEntry.objects.filter(action="membership.profile_changed", target=f"user:{teacher.pk}").exists()
    page = client.get(profile_url(membership)).content.decode()
    assert "Cô Linh" in page


def test_a_bad_time_zone_or_a_huge_photo_is_refused_and_nothing_changes(tenant, teacher):
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    client = host_client(user=teacher)
    response = client.post(profile_url(membership), {**PROFILE, "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    not_image = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    assert client.post(profile_url(membership), {**PROFILE, "photo_upload": not_image}).status_code == 400
    membership.refresh_from_db()
    assert membership.display_name == "" and membership.photo is None
    assert not get_image_model().objects.exists()


def test_who_may_edit_a_profile(tenant, other_tenant, tenant_admin, other_tenant_admin, teacher):
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    colleague = make_teacher(tenant, "james@hanoi.test")
    outsider = make_teacher(other_tenant, "minh@saigon.test")
    for user in (colleague, outsider, other_tenant_admin):
        client = host_client(user=user)
        assert client.get(profile_url(membership)).status_code in (302, 404)
        assert client.post(profile_url(membership), PROFILE).status_code in (302, 404)
    membership.refresh_from_db()
    assert membership.display_name == ""
    assert host_client(user=colleague).get(profile_url(membership)).status_code == 404
    response = host_client(user=tenant_admin).post(profile_url(membership), PROFILE)
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.display_name == "Cô Linh"
    listing = host_client(user=tenant_admin).get("/admin/teachers/").content.decode()
    assert "Cô Linh" in listing and "minh@saigon.test" not in listing
    assert host_client(user=teacher).get("/admin/teachers/").status_code == 404


def teacher_block(*items):
    return [{"type": "teacher_profiles", "value": {"heading": "Our teachers", "intro": "", "teachers": list(items)}}]


def manual(name):
    return {"teacher": None, "photo": None, "name": name, "headline": "Guest teacher", "bio": "<p>Hello.</p>",
            "languages": ["Japanese"]}


def picked(membership):
    return {"teacher": membership.pk, "photo": None, "name": "", "headline": "Head teacher", "bio": "",
            "languages": []}


def test_the_landing_page_block_shows_a_picked_teachers_live_profile(tenant, other_tenant, teacher, tenant_admin):
    membership = Membership.objects.get(tenant=tenant, user=teacher)
    Membership.objects.filter(pk=membership.pk).update(**{k: v for k, v in PROFILE.items() if k != "timezone"})
    outsider = make_teacher(other_tenant, "minh@saigon.test", first_name="Minh")
    foreign = Membership.objects.get(tenant=other_tenant, user=outsider)
    set_body(tenant, teacher_block(picked(membership), manual("Yuki Tanaka"), picked(foreign)))
    page = host_client(tenant).get("/").content.decode()
    assert "Cô Linh" in page and "Head teacher" in page and "Patient and precise." in page
    assert "IELTS" in page and "Vietnamese" in page
    assert "Yuki Tanaka" in page and "Japanese" in page  # the typed-in teacher still shows
    assert "Minh" not in page  # another school's teacher is never shown

    # A profile change shows at once (the page cache is purged).
    host_client(user=tenant_admin).post(profile_url(membership), {**PROFILE, "display_name": "Linh N."})
    assert "Linh N." in host_client(tenant).get("/").content.decode()

    # A deactivated teacher leaves the page.
    teacher_service.deactivate_teacher(membership, actor=tenant_admin)
    from landing.cache import purge

    purge(tenant.pk)
    page = host_client(tenant).get("/").content.decode()
    assert "Linh N." not in page and "Yuki Tanaka" in page


def test_the_block_needs_a_teacher_or_a_name(tenant):
    from landing.blocks import TeacherProfileBlock
    from wagtail.blocks import StructBlockValidationError

    block = TeacherProfileBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"teacher": None, "name": "", "languages": []}))


def test_the_profile_card_for_event_type_pages(tenant, teacher):
    Membership.objects.filter(tenant=tenant, user=teacher).update(display_name="Cô Linh", bio="Hello there.",
                                                                 languages="English", levels="B1, B2")
    html = render_to_string("booking/teacher/_profile_card.html",
                            {"profile": teacher_service.teacher_profile(tenant, teacher)})
    assert "Cô Linh" in html and "Hello there." in html and "B1, B2" in html
    assert render_to_string("booking/teacher/_profile_card.html", {"profile": None}).strip() == ""


def test_the_event_type_page_shows_its_teachers_profiles(tenant, other_tenant, teacher):
    Membership.objects.filter(tenant=tenant, user=teacher).update(display_name="Cô Linh", bio="Ten years of IELTS.",
                                                                 languages="English, Vietnamese")
    event_type, _sessions = make_class(tenant, teacher, capacity=8, title="IELTS evening class")
    page = host_client(tenant).get(f"/book/{event_type.slug}/").content.decode()
    assert "Your teacher" in page and "Cô Linh" in page and "Ten years of IELTS." in page
    assert "English, Vietnamese" in page
    # Deactivated: the card goes, the sessions stay.
    Membership.objects.filter(tenant=tenant, user=teacher).update(is_active=False)
    page = host_client(tenant).get(f"/book/{event_type.slug}/").content.decode()
    assert "Cô Linh" not in page and "IELTS evening class" in page


def test_the_teacher_chooser_offers_only_the_schools_active_teachers(tenant, other_tenant, tenant_admin, teacher):
    make_teacher(other_tenant, "minh@saigon.test")
    response = host_client(user=tenant_admin).get("/admin/teachers/choose/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Linh Nguyen" in text and "minh@saigon.test" not in text
    foreign = Membership.objects.get(tenant=other_tenant, user__email="minh@saigon.test")
    assert host_client(user=tenant_admin).get(f"/admin/teachers/choose/chosen/{foreign.pk}/").status_code == 404


def test_a_user_of_two_schools_switches_and_sees_each_apart(tenant, other_tenant, teacher):
    # Linh teaches at Hanoi and is the admin of Saigon.
    from site_platform.services.tenants import add_member

    add_member(other_tenant, teacher.email, Membership.Role.ADMIN)
    mine, _sessions = make_class(tenant, teacher, slug="hanoi-club", title="Hanoi Speaking Club")
    client = host_client(user=teacher)
    home = client.get("/admin/").content.decode()
    assert "Hanoi Speaking Club" in home and "Saigon Language School" in home
    assert "Switch school" in home

    assert client.post("/admin/school/switch/", {"tenant": other_tenant.pk}).status_code == 302
    home = client.get("/admin/").content.decode()
    assert "Hanoi Speaking Club" not in home and "Saigon Language School" in home
    team = client.get("/admin/team/").content.decode()
    assert "owner@saigon.test" in team and "owner@hanoi.test" not in team

    assert client.post("/admin/school/switch/", {"tenant": tenant.pk}).status_code == 302
    home = client.get("/admin/").content.decode()
    assert "Hanoi Speaking Club" in home
    team = client.get("/admin/team/").content.decode()  # a teacher only, here: no school's team
    assert "owner@saigon.test" not in team and "owner@hanoi.test" not in team

    # A school the user does not belong to cannot be picked.
    assert client.post("/admin/school/switch/", {"tenant": 999999}).status_code == 404
    assert client.post("/admin/school/switch/", {"tenant": ""}).status_code == 302
    home = client.get("/admin/").content.decode()
    assert "Hanoi Speaking Club" in home and "Saigon Language School" in home


def test_picked_teachers_cost_the_same_queries_whatever_their_number(tenant, tenant_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def render_with(count):
        memberships = []
        for number in range(count):
            user = make_teacher(tenant, f"t{count}-{number}@hanoi.test", first_name=f"Teacher{count}x{number}")
            memberships.append(Membership.objects.get(tenant=tenant, user=user))
        set_body(tenant, teacher_block(*[picked(m) for m in memberships]))
        from landing.cache import purge

        purge(tenant.pk)
        client = host_client(tenant)
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/", {"fresh": count}).content.decode()
        assert all(f"Teacher{count}x{n}" in page for n in range(count))
        return len(queries)

    render_with(1)  # warm the process-wide caches (site, content types)
    assert render_with(2) == render_with(5)


def test_a_user_of_two_schools_always_sees_which_school_they_are_in(tenant, other_tenant, teacher):
    from site_platform.services.tenants import add_member

    add_member(other_tenant, teacher.email, Membership.Role.ADMIN)
    client = host_client(user=teacher)
    home = client.get("/admin/").content.decode()
    assert "You are seeing all your schools" in home
    assert "Switch school (now: all my schools)" in home

    client.post("/admin/school/switch/", {"tenant": other_tenant.pk})
    home = client.get("/admin/").content.decode()
    assert "You are working in Saigon Language School" in home
    # The menu says it on every admin screen, not only the dashboard.
    team = client.get("/admin/team/").content.decode()
    assert "Switch school (now: Saigon Language School)" in team

    client.post("/admin/school/switch/", {"tenant": tenant.pk})
    assert "You are working in Hanoi English Centre" in client.get("/admin/").content.decode()


def test_someone_of_one_school_gets_no_school_line(tenant, teacher):
    home = host_client(user=teacher).get("/admin/").content.decode()
    assert "You are working in" not in home and "Switch school" not in home
