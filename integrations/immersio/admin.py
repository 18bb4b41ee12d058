"""Wagtail admin for Immersio: a tenant admin's connection settings (own tenant only),
"Test connection", "Sync now" and the sync log. Registered from integrations/wagtail_hooks.py."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import DateColumn
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton

from site_platform.admin_scoping import ScopedObjectMixin, TenantScopedAdminForm, TenantScopedModelViewSet

from ..models import ImmersioConnection, ImmersioWebhookEvent, PushOutbox, SyncRun
from . import client as api

SECRET_FIELDS = ("api_key", "webhook_secret", "sso_secret")


def describe_error(error, connection):
    """The precise reason a connection does not work, in the admin's words."""
    if isinstance(error, api.AuthError):
        return _("Immersio refused the API key (401). Check the key, or create a new one in Immersio.")
    if isinstance(error, api.OrgForbidden):
        return _("The API key is valid but may not act for organisation “%(org)s” (403). Check the "
                 "organisation id.") % {"org": connection.org_id}
    if isinstance(error, api.Timeout):
        return _("Immersio did not answer in time at %(url)s.") % {"url": connection.base_url}
    if isinstance(error, api.Unreachable):
        return _("Immersio could not be reached at %(url)s. Check the API address.") % {"url": connection.base_url}
    if isinstance(error, api.RateLimited):
        return _("Immersio is limiting requests right now (429). Try again in a minute.")
    if isinstance(error, api.MalformedResponse):
        return _("The API address answered, but not like Immersio. Check the API address.")
    return _("Immersio answered with an error: %(error)s") % {"error": error}


def test_connection(connection):
    """(True, message) when an authenticated call works, else (False, the precise error)."""
    options = {"max_retries": 0}
    try:
        with api.ImmersioClient.for_connection(connection, timeout=10, **options) as client:
            client.check()
    except api.ImmersioError as error:
        return False, describe_error(error, connection)
    return True, _("Connected to Immersio organisation “%(org)s”.") % {"org": connection.org_id}


class ConnectionForm(TenantScopedAdminForm):
    """Secrets are never shown again; leaving one empty keeps the stored value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            field = self.fields.get(name)
            if field is None:
                continue
            field.widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
            if self.instance.pk and getattr(self.instance, name):
                field.required = False
                field.help_text = _("Stored. Leave empty to keep it.")

    def _keep(self, name):
        value = self.cleaned_data.get(name)
        if not value and self.instance.pk:
            return getattr(ImmersioConnection.objects.get(pk=self.instance.pk), name)
        return value

    def clean_api_key(self):
        return self._keep("api_key")

    def clean_webhook_secret(self):
        return self._keep("webhook_secret")

    def clean_sso_secret(self):
        return self._keep("sso_secret")


class ConnectionActionView(ScopedObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, BaseObjectMixin,
                           TemplateView):
    model = ImmersioConnection
    permission_required = "change"
    template_name = "integrations/immersio/connection_action.html"
    header_icon = "link"
    index_url_name = None
    action_url_name = None
    question = button = ""

    def get_page_subtitle(self):
        return str(self.object.tenant)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(connection=self.object, question=self.question, button=self.button,
                       index_url=reverse(self.index_url_name),
                       action_url=reverse(self.action_url_name, args=[quote(self.object.pk)]))
        return context


class TestConnectionView(ConnectionActionView):
    page_title = _("Test the Immersio connection")
    question = _("Call Immersio with these settings now?")
    button = _("Test connection")

    def post(self, request, *args, **kwargs):
        ok, message = test_connection(self.object)
        (messages.success if ok else messages.error)(request, message)
        return redirect(self.index_url_name)


class SyncNowView(ConnectionActionView):
    page_title = _("Sync with Immersio now")
    question = _("Pull courses, teachers and students from Immersio now? The result shows in the sync log.")
    button = _("Sync now")

    def post(self, request, *args, **kwargs):
        from .tasks import sync_tenant

        sync_tenant.delay(self.object.tenant_id, trigger="admin")
        messages.success(request, _("The sync has started; its result shows in the sync log."))
        return redirect(self.index_url_name)


class ActionButtonsMixin:
    test_url_name = sync_url_name = None

    def action_urls(self, instance):
        if not self.permission_policy.user_has_permission(self.request.user, "change"):
            return []
        return [(_("Test connection"), reverse(self.test_url_name, args=[quote(instance.pk)]), "link"),
                (_("Sync now"), reverse(self.sync_url_name, args=[quote(instance.pk)]), "rotate")]


class ConnectionIndexView(ActionButtonsMixin, TenantScopedModelViewSet.index_view_class):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        for label, url, icon in self.action_urls(instance):
            buttons.append(MenuItem(label, url=url, icon_name=icon, priority=15))
        return buttons


class ConnectionEditView(ActionButtonsMixin, TenantScopedModelViewSet.edit_view_class):
    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        for label, url, icon in self.action_urls(self.object):
            buttons.append(HeaderButton(label, url=url, icon_name=icon, priority=5))
        return buttons


class ImmersioConnectionViewSet(TenantScopedModelViewSet):
    model = ImmersioConnection
    icon = "link"
    menu_label = _("Immersio")
    add_to_admin_menu = True
    menu_order = 320
    index_view_class = ConnectionIndexView
    edit_view_class = ConnectionEditView
    copy_view_enabled = False
    list_display = ["tenant", "org_id", "enabled", DateColumn("last_sync_at", label=_("Last sync")),
                    "last_sync_state"]
    edit_handler = ObjectList([
        FieldPanel("tenant"), FieldPanel("base_url"), FieldPanel("org_id"), FieldPanel("api_key"),
        FieldPanel("webhook_secret"), FieldPanel("sso_secret"), FieldPanel("enabled"),
        FieldPanel("sync_interval_minutes"),
    ], base_form_class=ConnectionForm)

    def _action_kwargs(self):
        return {"test_url_name": self.get_url_name("test"), "sync_url_name": self.get_url_name("sync")}

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(**self._action_kwargs(), **kwargs)

    def get_edit_view_kwargs(self, **kwargs):
        return super().get_edit_view_kwargs(**self._action_kwargs(), **kwargs)

    def get_urlpatterns(self):
        common = {"index_url_name": self.get_url_name("index")}
        return super().get_urlpatterns() + [
            path("test/<int:pk>/", self.construct_view(TestConnectionView, action_url_name=self.get_url_name("test"),
                                                       **common), name="test"),
            path("sync/<int:pk>/", self.construct_view(SyncNowView, action_url_name=self.get_url_name("sync"),
                                                       **common), name="sync"),
        ]


class SyncRunViewSet(TenantScopedModelViewSet):
    model = SyncRun
    icon = "history"
    menu_label = _("Immersio sync log")
    add_to_admin_menu = True
    menu_order = 321
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [DateColumn("started_at", label=_("Started")), "tenant", "kind", "trigger", "status", "created",
                    "updated", "unchanged", "failed"]
    list_filter = ["status", "kind"]
    inspect_view_fields = ["tenant", "kind", "trigger", "started_at", "finished_at", "status", "created", "updated",
                           "unchanged", "failed", "counts", "errors", "error", "stopped_at"]
    form_fields = ["tenant"]


RETRY_PERMISSION = "integrations.change_immersioconnection"


class RetryPushView(ScopedObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, BaseObjectMixin,
                    TemplateView):
    """"Retry now" for a push that failed or waits for its next try: it is sent at once,
    under its own idempotency key, with a new 48-hour window."""

    model = PushOutbox
    permission_required = "view"
    template_name = "integrations/immersio/push_retry.html"
    page_title = _("Retry the push to Immersio now")
    header_icon = "rotate"
    index_url_name = retry_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(RETRY_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(push=self.object, index_url=reverse(self.index_url_name),
                       action_url=reverse(self.retry_url_name, args=[quote(self.object.pk)]),
                       retryable=self.object.status in RETRYABLE)
        return context

    def post(self, request, *args, **kwargs):
        from .push import retry_now

        if retry_now(PushOutbox.objects.filter(pk=self.object.pk)):
            messages.success(request, _("The push is being sent again; its status shows in this list."))
        else:
            messages.warning(request, _("This push was already sent: there is nothing to retry."))
        return redirect(self.index_url_name)


RETRYABLE = (PushOutbox.Status.PENDING, PushOutbox.Status.FAILED)


class PushIndexView(TenantScopedModelViewSet.index_view_class):
    retry_url_name = None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status in RETRYABLE and self.request.user.has_perm(RETRY_PERMISSION):
            buttons.append(MenuItem(_("Retry now"), url=reverse(self.retry_url_name, args=[quote(instance.pk)]),
                                    icon_name="rotate", priority=15))
        return buttons


class PushOutboxViewSet(TenantScopedModelViewSet):
    """What is pushed to Immersio: pending, sent, failed (and not needed), with attempts
    and the last error. Read-only but for "Retry now"."""

    model = PushOutbox
    icon = "upload"
    menu_label = _("Immersio pushes")
    add_to_admin_menu = True
    menu_order = 323
    index_view_class = PushIndexView
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["object_key", "tenant", "kind", "status", "attempts", DateColumn("created_at", label=_("Written")),
                    DateColumn("next_attempt_at", label=_("Next attempt")), "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["object_key", "last_error"]
    inspect_view_fields = ["tenant", "kind", "object_key", "status", "attempts", "created_at", "next_attempt_at",
                           "give_up_at", "sent_at", "last_error", "payload", "response", "idempotency_key"]
    form_fields = ["tenant"]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(retry_url_name=self.get_url_name("retry"), **kwargs)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("retry/<int:pk>/", self.construct_view(RetryPushView, index_url_name=self.get_url_name("index"),
                                                        retry_url_name=self.get_url_name("retry")), name="retry"),
        ]


class WebhookEventViewSet(TenantScopedModelViewSet):
    """The webhooks Immersio sent, each once, with what was done about it."""

    model = ImmersioWebhookEvent
    icon = "download"
    menu_label = _("Immersio webhooks")
    add_to_admin_menu = True
    menu_order = 324
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = ["event_id", "tenant", "type", DateColumn("received_at", label=_("Received")),
                    DateColumn("processed_at", label=_("Processed")), "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id", "outcome"]
    inspect_view_fields = ["tenant", "event_id", "type", "received_at", "processed_at", "outcome", "payload"]
    form_fields = ["tenant"]


@hooks.register("register_admin_viewset")
def register_immersio_viewsets():
    return [ImmersioConnectionViewSet("immersio_connection"), SyncRunViewSet("immersio_sync_log"),
            PushOutboxViewSet("immersio_pushes"), WebhookEventViewSet("immersio_webhooks")]


@hooks.register("register_admin_urls")
def register_immersio_admin_urls():
    from .admin_views import CourseMappingView

    return [
        path("immersio/courses/", CourseMappingView.as_view(), name="immersio_courses"),
        path("immersio/courses/<int:pk>/", CourseMappingView.as_view(), name="immersio_course_map"),
    ]


class PermissionMenuItem(AdminMenuItem):
    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def register_immersio_courses_menu_item():
    return PermissionMenuItem(_("Immersio courses"), reverse("immersio_courses"), icon_name="link",
                              permission="integrations.change_immersioconnection", order=322)
