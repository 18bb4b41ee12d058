"""Admin screens for teachers (issue 11), registered from here through Wagtail hooks
(imported by the last line of `site_platform/wagtail_hooks.py`):

- Teachers (menu): a tenant admin's list of the school's teachers, with their
  profile and Deactivate.
- Teacher profile: photo (stored as a Wagtail image in the tenant's collection),
  display name, bio, languages taught, levels, time zone. A teacher edits their
  own (from the workspace panel); a tenant admin edits any teacher's of their school.
- Deactivate: a confirmation screen listing the teacher's future sessions and
  one-to-one bookings, each (or all) reassigned to another teacher or cancelled
  with full refunds, then `booking.services.teachers.deactivate_teacher`.
- Switch school: a user with memberships in several tenants picks the current one
  (`admin_scoping.set_current_tenant`).
- Teacher chooser (`teacher_chooser_viewset`): the modal behind the landing page
  teacher block's "Teacher of the school" field; offers active teachers of the
  tenants the editor administers.

Rows of another tenant answer 404.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.images import get_image_model

from .admin_scoping import admin_tenants, all_tenant_roles, set_current_tenant, tenant_roles
from .models import Membership, Tenant
from .teacher_models import NOTICE_PREFERENCES

TEACHING_ROLES = (Membership.Role.TEACHER, Membership.Role.ADMIN)
MAX_PHOTO_BYTES = 5 * 1024 * 1024


def purge_landing_pages(tenant_id):
    """Landing pages show teachers' live profiles: forget the tenant's cached pages and
    block fragments (looked up by name, so the platform does not depend on landing)."""
    from django.apps import apps

    if apps.is_installed("landing"):
        from landing.cache import purge

        purge(tenant_id)


def _administers(user, tenant_id):
    return user.is_superuser or tenant_roles(user).get(tenant_id) == Membership.Role.ADMIN


def teacher_memberships(user):
    """Teaching memberships a user may manage: every one of the tenants they administer."""
    tenants = admin_tenants(user)
    memberships = Membership.objects.filter(role__in=TEACHING_ROLES).select_related("user", "tenant", "photo")
    if tenants is None:
        return memberships
    return memberships.filter(tenant__in=tenants)


def _membership_for_profile(user, pk):
    """The membership whose profile `user` may edit: their own active one, or any of a
    tenant they administer. Anything else is 404."""
    membership = Membership.objects.select_related("user", "tenant", "photo").filter(
        pk=pk, role__in=TEACHING_ROLES).first()
    if membership is None:
        raise Http404
    own = membership.user_id == user.pk and membership.is_active and membership.tenant_id in tenant_roles(user)
    if not (own or _administers(user, membership.tenant_id)):
        raise Http404
    return membership


# Profile ----------------------------------------------------------------------------------------

PREFERENCE_FIELDS = list(NOTICE_PREFERENCES.values())


class TeacherProfileForm(forms.ModelForm):
    photo_upload = forms.ImageField(label=gettext_lazy("New photo"), required=False,
                                    help_text=gettext_lazy("A JPEG, PNG or WebP image of at most 5 MB."))
    remove_photo = forms.BooleanField(label=gettext_lazy("Remove the photo"), required=False)
    timezone = forms.ChoiceField(label=gettext_lazy("Time zone"))

    class Meta:
        model = Membership
        fields = ["display_name", "bio", "languages", "levels", "timezone", *PREFERENCE_FIELDS]
        widgets = {"bio": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        from booking.models.common import timezone_choices

        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()

    def profile_fields(self):
        return [field for field in self if field.name not in PREFERENCE_FIELDS]

    def preference_fields(self):
        return [field for field in self if field.name in PREFERENCE_FIELDS]

    def clean_photo_upload(self):
        upload = self.cleaned_data.get("photo_upload")
        if upload and upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is too large (at most 5 MB)."))
        return upload

    def save_profile(self, actor):
        """Save the profile; a new photo becomes an image of the tenant's collection."""
        from . import audit

        membership = self.save(commit=False)
        upload = self.cleaned_data.get("photo_upload")
        if upload:
            image = get_image_model()(title=_("Photo of %(name)s") % {"name": membership.public_name},
                                      file=upload, collection=membership.tenant.collection,
                                      uploaded_by_user=actor)
            image.save()
            membership.photo = image
        elif self.cleaned_data.get("remove_photo"):
            membership.photo = None
        membership.save(update_fields=["display_name", "bio", "languages", "levels", "timezone", "photo",
                                       *PREFERENCE_FIELDS])
        audit.record("membership.profile_changed", tenant=membership.tenant, actor=actor,
                     target=f"user:{membership.user_id}", fields=sorted(self.changed_data))
        purge_landing_pages(membership.tenant_id)
        return membership


class TeacherProfileView(View):
    template_name = "booking/teacher/profile_form.html"

    def render(self, request, membership, form, status=200):
        back = reverse("teachers_admin") if _administers(request.user, membership.tenant_id) else reverse(
            "wagtailadmin_home")
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Teacher profile"), "header_icon": "user", "membership": membership, "form": form,
            "back_url": back,
        }, status=status)

    def get(self, request, pk):
        membership = _membership_for_profile(request.user, pk)
        return self.render(request, membership, TeacherProfileForm(instance=membership))

    def post(self, request, pk):
        from django.db import transaction

        membership = _membership_for_profile(request.user, pk)
        form = TeacherProfileForm(request.POST, request.FILES, instance=membership)
        if not form.is_valid():
            return self.render(request, membership, form, status=400)
        with transaction.atomic():
            form.save_profile(request.user)
        messages.success(request, _("Profile of %(name)s saved.") % {"name": membership.public_name})
        return redirect("teacher_profile", pk=membership.pk)


class OwnProfileView(View):
    """The signed-in teacher's profile in one tenant."""

    def get(self, request, tenant_pk):
        membership = Membership.objects.filter(tenant_id=tenant_pk, user=request.user, is_active=True,
                                               role__in=TEACHING_ROLES).first()
        if membership is None or tenant_pk not in tenant_roles(request.user):
            raise Http404
        return redirect("teacher_profile", pk=membership.pk)


# List -------------------------------------------------------------------------------------------

class TeacherListView(View):
    template_name = "booking/teacher/teachers_list.html"

    def get(self, request):
        if not (request.user.is_superuser or [t for t, r in tenant_roles(request.user).items()
                                              if r == Membership.Role.ADMIN]):
            raise Http404
        memberships = teacher_memberships(request.user).order_by("tenant__name", "-is_active", "user__email")
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Teachers"), "header_icon": "group", "memberships": memberships,
        })


# Deactivate -------------------------------------------------------------------------------------

def _choices(candidates):
    from booking.services.teachers import CANCEL

    return [("", _("— choose —")), (CANCEL, _("Cancel (full refund)"))] + [
        (str(user.pk), _("Reassign to %(teacher)s") % {"teacher": user}) for user in candidates]


class DeactivateForm(forms.Form):
    apply_to_all = forms.ChoiceField(label=gettext_lazy("For everything not chosen below"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason (sent to students whose bookings are cancelled)"),
                             required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, work, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.work, self.candidates = work, {str(user.pk): user for user in candidates}
        choices = _choices(candidates)
        self.fields["apply_to_all"].choices = choices
        for session in work.sessions:
            self.fields[f"session_{session.pk}"] = forms.ChoiceField(choices=choices, required=False,
                                                                     label=str(session))
        for booking in work.bookings:
            self.fields[f"booking_{booking.pk}"] = forms.ChoiceField(choices=choices, required=False,
                                                                     label=str(booking))

    def _resolve(self, value):
        from booking.services.teachers import CANCEL

        value = value or self.cleaned_data.get("apply_to_all") or ""
        if value == CANCEL:
            return CANCEL
        return self.candidates.get(value)

    def plan(self):
        """({session id: teacher or CANCEL}, {booking id: ...}) for every item with a choice."""
        sessions = {s.pk: self._resolve(self.cleaned_data.get(f"session_{s.pk}")) for s in self.work.sessions}
        bookings = {b.pk: self._resolve(self.cleaned_data.get(f"booking_{b.pk}")) for b in self.work.bookings}
        return ({k: v for k, v in sessions.items() if v is not None},
                {k: v for k, v in bookings.items() if v is not None})


class DeactivateTeacherView(View):
    template_name = "booking/teacher/deactivate.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.membership = None

    def _load(self, request, pk):
        from booking.services import teachers as teacher_service

        membership = teacher_memberships(request.user).filter(pk=pk, is_active=True).first()
        if membership is None or not _administers(request.user, membership.tenant_id):
            raise Http404
        work = teacher_service.future_work(membership.tenant, membership.user)
        candidates = list(teacher_service.reassignment_candidates(membership.tenant, membership.user))
        return membership, work, candidates

    def render(self, request, membership, work, form, status=200, error=""):
        from booking.services.teachers import teacher_timezone

        rows = [("session", item, form[f"session_{item.pk}"]) for item in work.sessions] + [
            ("booking", item, form[f"booking_{item.pk}"]) for item in work.bookings]
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Deactivate %(name)s") % {"name": membership.public_name}, "header_icon": "warning",
            "membership": membership, "work": work, "rows": rows, "form": form, "error": error,
            "zone": teacher_timezone(membership.tenant, membership.user), "back_url": reverse("teachers_admin"),
            "is_self": membership.user_id == request.user.pk,
        }, status=status)

    def get(self, request, pk):
        membership, work, candidates = self._load(request, pk)
        return self.render(request, membership, work, DeactivateForm(work=work, candidates=candidates))

    def post(self, request, pk):
        from booking.errors import BookingError
        from booking.services import teachers as teacher_service

        membership, work, candidates = self._load(request, pk)
        form = DeactivateForm(request.POST, work=work, candidates=candidates)
        if not form.is_valid():
            return self.render(request, membership, work, form, status=400)
        sessions, bookings = form.plan()
        try:
            teacher_service.deactivate_teacher(membership, actor=request.user, sessions=sessions, bookings=bookings,
                                               reason=form.cleaned_data.get("reason", ""))
        except BookingError as error:
            return self.render(request, membership, work, form, status=400, error=error.message)
        purge_landing_pages(membership.tenant_id)
        messages.success(request, _("%(name)s is deactivated: %(sessions)s sessions and %(bookings)s bookings "
                                    "were reassigned or cancelled.") % {
            "name": membership.public_name, "sessions": len(sessions), "bookings": len(bookings)})
        return redirect("teachers_admin")


# Tenant switch ----------------------------------------------------------------------------------

class SwitchTenantView(View):
    template_name = "booking/teacher/switch_tenant.html"

    def get(self, request):
        roles = all_tenant_roles(request.user)
        tenants = Tenant.objects.filter(pk__in=roles).order_by("name")
        current = getattr(request.user, "_current_tenant_id", None)
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Switch school"), "header_icon": "home",
            "tenants": [(tenant, Membership.Role(roles[tenant.pk]).label, tenant.pk == current) for tenant in tenants],
            "all_current": current not in roles,
        })

    def post(self, request):
        value = request.POST.get("tenant", "")
        tenant_id = None
        if value:
            try:
                tenant_id = int(value)
            except ValueError:
                raise Http404 from None
        if not set_current_tenant(request, tenant_id):
            raise Http404
        if tenant_id is None:
            messages.success(request, _("You now see all your schools."))
        else:
            messages.success(request, _("You now work in %(school)s.") % {
                "school": Tenant.objects.get(pk=tenant_id).name})
        return redirect("wagtailadmin_home")


# Teacher chooser ---------------------------------------------------------------------------------

class TeacherChooserScope:
    def get_object_list(self):
        return teacher_memberships(self.request.user).filter(is_active=True).order_by("tenant__name", "user__email")


class TeacherChooseView(TeacherChooserScope, chooser_views.ChooseView):
    pass


class TeacherChooseResultsView(TeacherChooserScope, chooser_views.ChooseResultsView):
    pass


class TeacherChosenView(chooser_views.ChosenView):
    def get_object(self, pk):
        membership = teacher_memberships(self.request.user).filter(pk=pk).first()
        if membership is None:
            raise Http404
        return membership

    def get_display_title(self, instance):
        return f"{instance.public_name} · {instance.tenant.name}"


class TeacherChooserViewSet(ChooserViewSet):
    model = Membership
    icon = "user"
    choose_one_text = gettext_lazy("Choose a teacher")
    choose_another_text = gettext_lazy("Choose another teacher")
    page_title = gettext_lazy("Choose a teacher")
    register_widget = False
    choose_view_class = TeacherChooseView
    choose_results_view_class = TeacherChooseResultsView
    chosen_view_class = TeacherChosenView


teacher_chooser_viewset = TeacherChooserViewSet("teacher_chooser", url_prefix="teachers/choose")


@hooks.register("register_admin_viewset")
def register_teacher_chooser():
    return teacher_chooser_viewset


@hooks.register("register_admin_urls")
def register_teachers_admin_urls():
    return [
        path("teachers/", TeacherListView.as_view(), name="teachers_admin"),
        path("teachers/<int:pk>/profile/", TeacherProfileView.as_view(), name="teacher_profile"),
        path("teachers/<int:pk>/deactivate/", DeactivateTeacherView.as_view(), name="teacher_deactivate"),
        path("teacher/profile/<int:tenant_pk>/", OwnProfileView.as_view(), name="teacher_own_profile"),
        path("school/switch/", SwitchTenantView.as_view(), name="switch_tenant"),
    ]


class TeachersMenuItem(MenuItem):
    def is_shown(self, request):
        user = request.user
        return user.is_superuser or Membership.Role.ADMIN in tenant_roles(user).values()


def current_school_name(user):
    """The name of the school `user` switched to, or None while they see all their schools."""
    current = getattr(user, "_current_tenant_id", None)
    if current is None or current not in all_tenant_roles(user):
        return None
    return Tenant.objects.filter(pk=current).values_list("name", flat=True).first()


class SwitchTenantMenuItem(MenuItem):
    """"Switch school", labelled with the school the user works in now."""

    def is_shown(self, request):
        return len(all_tenant_roles(request.user)) > 1

    def render_component(self, request):
        from wagtail.admin.ui.sidebar import LinkMenuItem as LinkMenuItemComponent

        school = current_school_name(request.user)
        label = (_("Switch school (now: %(school)s)") % {"school": school} if school
                 else _("Switch school (now: all my schools)"))
        return LinkMenuItemComponent(self.name, label, self.url, icon_name=self.icon_name,
                                     classname=self.classname, attrs=self.attrs)


class CurrentSchoolPanel(Component):
    """The dashboard's first line for someone of several schools: which one they work in."""

    name = "current_school"
    order = 0
    template_name = "booking/teacher/current_school_panel.html"

    def __init__(self, school):
        self.school = school

    def get_context_data(self, parent_context):
        return {"school": self.school, "switch_url": reverse("switch_tenant")}


@hooks.register("construct_homepage_panels")
def add_current_school_panel(request, panels):
    if len(all_tenant_roles(request.user)) > 1:
        panels.insert(0, CurrentSchoolPanel(current_school_name(request.user)))


@hooks.register("register_admin_menu_item")
def register_teachers_menu_item():
    return TeachersMenuItem(gettext_lazy("Teachers"), reverse("teachers_admin"), icon_name="group", order=205)


@hooks.register("register_admin_menu_item")
def register_switch_tenant_menu_item():
    return SwitchTenantMenuItem(gettext_lazy("Switch school"), reverse("switch_tenant"), icon_name="home",
                                order=199)
