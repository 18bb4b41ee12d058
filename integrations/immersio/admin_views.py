"""Wagtail admin screens of the Immersio integration that are not plain model listings:
the course mapping screen. A tenant admin sees their own tenants' courses and maps
each to one of that tenant's event types; any other tenant's course or event type
is a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import View

from booking.models import EventType
from site_platform.admin_scoping import admin_tenants, user_may_manage
from site_platform.models import Tenant

from ..models import ImmersioLink
from . import sync

MANAGE_PERMISSION = "integrations.change_immersioconnection"


def _tenants(user):
    tenants = admin_tenants(user)
    return Tenant.objects.all() if tenants is None else tenants


class CourseMappingView(View):
    """GET: the courses from the last sync with their event types. POST to a course's
    address: map it to an event type of its tenant (`event_type`), or unmap it (empty)."""

    template_name = "integrations/immersio/course_mapping.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(MANAGE_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk=None):
        if pk is not None:
            return redirect("immersio_courses")
        tenants = _tenants(request.user)
        choices = {}
        for event_type in EventType.objects.filter(tenant__in=tenants).order_by("title", "pk").only(
                "pk", "title", "tenant_id", "is_published", "immersio_course_id"):
            choices.setdefault(event_type.tenant_id, []).append(event_type)
        rows = [{"course": link, "event_type": event_type, "choices": choices.get(link.tenant_id, [])}
                for link, event_type in sync.course_list(tenants)]
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Immersio courses"), "header_icon": "link", "rows": rows,
            "many_tenants": len({row["course"].tenant_id for row in rows}) > 1,
        })

    def post(self, request, pk=None):
        course = ImmersioLink.objects.filter(pk=pk, kind=ImmersioLink.Kind.COURSE).select_related("tenant").first()
        if course is None or not user_may_manage(request.user, course):
            raise Http404
        chosen = (request.POST.get("event_type") or "").strip()
        if not chosen:
            sync.unmap_course(course.tenant, course.immersio_id, actor=request.user)
            messages.success(request, _("“%(course)s” is no longer mapped; no sync will create an event type for "
                                        "it.") % {"course": course.label or course.immersio_id})
            return redirect("immersio_courses")
        if not chosen.isdigit():
            raise Http404
        event_type = EventType.objects.filter(pk=int(chosen), tenant_id=course.tenant_id).first()
        if event_type is None:
            raise Http404
        sync.map_course(event_type, course.immersio_id, actor=request.user)
        from .tasks import sync_course_students

        sync_course_students.delay_on_commit(course.tenant_id, course.immersio_id)
        messages.success(request, _("“%(course)s” is mapped to “%(event_type)s”; its students are being pulled.") % {
            "course": course.label or course.immersio_id, "event_type": event_type.title})
        return redirect("immersio_courses")
