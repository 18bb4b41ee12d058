"""Wagtail admin for calendar feeds: tenant-scoped listing, add/edit, "Refresh now"."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.widgets import HeaderButton

from site_platform.admin_scoping import (
    ScopedObjectMixin,
    TenantScopedAdminForm,
    TenantScopedModelViewSet,
    admin_tenants,
)
from site_platform.models import Membership

from ..models import CalendarFeed
from .services import feed_saved, refresh_feed


class CalendarFeedForm(TenantScopedAdminForm):
    """Offers as teachers only the active members of the tenants the user administers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teacher_field = self.fields.get("teacher")
        if teacher_field is None or self.teacher_only:
            return  # a teacher's own feed: the base form offers only them
        tenants = admin_tenants(self.for_user) if self.for_user is not None else None
        members = Membership.objects.filter(is_active=True)
        if tenants is not None:
            members = members.filter(tenant__in=tenants)
        teacher_field.queryset = get_user_model().objects.filter(
            pk__in=members.values("user_id")).order_by("email")

    def clean(self):
        cleaned = super().clean()
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        teacher = cleaned.get("teacher")
        if tenant is not None and teacher is not None and not Membership.objects.filter(
            tenant=tenant, user=teacher, is_active=True
        ).exists():
            self.add_error("teacher", _("This person is not a teacher of this school."))
        return cleaned


class RefreshButtonsMixin:
    refresh_url_name = None

    def get_refresh_url(self, instance):
        if self.refresh_url_name and self.permission_policy.user_has_permission(self.request.user, "change"):
            return reverse(self.refresh_url_name, args=[quote(instance.pk)])
        return None


class CalendarFeedIndexView(RefreshButtonsMixin, TenantScopedModelViewSet.index_view_class):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if refresh_url := self.get_refresh_url(instance):
            buttons.append(MenuItem(_("Refresh now"), url=refresh_url, icon_name="rotate", priority=15))
        return buttons


class CalendarFeedCreateView(TenantScopedModelViewSet.add_view_class):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            feed_saved(instance, created=True, actor=self.request.user)
        return instance


class CalendarFeedEditView(RefreshButtonsMixin, TenantScopedModelViewSet.edit_view_class):
    def save_instance(self):
        with transaction.atomic():
            instance = super().save_instance()
            feed_saved(instance, created=False, changed_fields=self.form.changed_data, actor=self.request.user)
        return instance

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if refresh_url := self.get_refresh_url(self.object):
            buttons.append(HeaderButton(_("Refresh now"), url=refresh_url, icon_name="rotate", priority=5))
        return buttons


class CalendarFeedRefreshView(
    ScopedObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, BaseObjectMixin, TemplateView
):
    """GET asks for confirmation; POST fetches the feed now and tells the outcome."""

    model = CalendarFeed
    permission_required = "change"
    template_name = "integrations/calendar_feed_refresh.html"
    page_title = _("Refresh calendar feed")
    header_icon = "calendar-alt"
    index_url_name = None
    refresh_url_name = None

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": CalendarFeed._meta.verbose_name_plural.capitalize()},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            feed=self.object, index_url=reverse(self.index_url_name),
            refresh_url=reverse(self.refresh_url_name, args=[quote(self.object.pk)]),
        )
        return context

    def post(self, request, *args, **kwargs):
        result = refresh_feed(self.object.pk)
        if result.ok:
            messages.success(request, ngettext(
                "“%(name)s” refreshed: %(count)d busy time imported.",
                "“%(name)s” refreshed: %(count)d busy times imported.",
                result.busy_count,
            ) % {"name": self.object.name, "count": result.busy_count})
        elif result.error is not None:
            messages.error(request, _("“%(name)s” could not be refreshed: %(error)s The last good copy stays in use.")
                           % {"name": self.object.name, "error": result.error.message})
        else:
            messages.warning(request, _("“%(name)s” is inactive and was not refreshed.") % {"name": self.object.name})
        return redirect(self.index_url_name)


def _last_error(feed):
    return feed.error_message() or "—"


class CalendarFeedViewSet(TenantScopedModelViewSet):
    model = CalendarFeed
    icon = "calendar-alt"
    menu_label = _("Calendar feeds")
    add_to_admin_menu = True
    menu_order = 310
    index_view_class = CalendarFeedIndexView
    add_view_class = CalendarFeedCreateView
    edit_view_class = CalendarFeedEditView
    copy_view_enabled = False
    list_display = [
        "name", "teacher", "tenant", "is_active",
        DateColumn("last_success_at", label=_("Last success")),
        Column("last_error", label=_("Last error"), accessor=_last_error),
    ]
    list_filter = ["is_active"]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [
            FieldPanel("tenant"), FieldPanel("teacher"), FieldPanel("name"),
            FieldPanel("url", widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})),
            FieldPanel("is_active"),
        ],
        base_form_class=CalendarFeedForm,
    )

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(refresh_url_name=self.get_url_name("refresh"), **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(refresh_url_name=self.get_url_name("refresh"), **kwargs)

    @property
    def refresh_view(self):
        return self.construct_view(
            CalendarFeedRefreshView, index_url_name=self.get_url_name("index"),
            refresh_url_name=self.get_url_name("refresh"),
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("refresh/<int:pk>/", self.refresh_view, name="refresh"),
        ]
