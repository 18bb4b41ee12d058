"""Webhooks in the admin: a tenant admin registers endpoints, sees the secret on
demand, sends a test event, reads the delivery log and redelivers any delivery."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.models import modelform_factory
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail import hooks
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.permissions import policy_registry

from site_platform.admin_scoping import ScopedListingMixin, TenantScopedAdminForm, TenantScopedModelViewSet, \
    user_may_manage
from site_platform.usage import PlanLimitError

from . import services
from .addresses import check_url
from .errors import WebhookError
from .models import EVENT_TYPES, Delivery, Endpoint

ERROR_FIELDS = {"url_invalid": "url", "url_not_https": "url", "url_credentials": "url", "address_refused": "url",
                "host_unknown": "url", "events_required": "events", "event_unknown": "events"}


class EndpointForm(TenantScopedAdminForm):
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), choices=EVENT_TYPES,
                                       widget=forms.CheckboxSelectMultiple)

    def clean_url(self):
        try:
            return check_url(self.cleaned_data.get("url"))
        except WebhookError as exc:
            raise forms.ValidationError(exc.message) from None


class ServiceFormMixin:
    def refuse(self, form, error):
        form.add_error(ERROR_FIELDS.get(getattr(error, "code", None)), error.message)
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


class EndpointCreateView(ServiceFormMixin, generic.CreateView):
    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = services.create_endpoint(
                tenant=data["tenant"], url=data["url"], events=data["events"], description=data.get("description", ""),
                actor=self.request.user)
        except (WebhookError, PlanLimitError) as exc:
            return self.refuse(form, exc)
        messages.success(self.request, _("Endpoint added. Copy its signing secret now; you can show it again "
                                         "later from the endpoint's menu."))
        return TemplateResponse(self.request, "webhooks/admin/secret.html", {
            "page_title": _("Signing secret"), "header_icon": "link", "endpoint": self.object,
            "secret": self.object.secret, "shown": True,
            "back_url": reverse("webhook-endpoints:index")})


class EndpointEditView(ServiceFormMixin, generic.EditView):
    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not user_may_manage(self.request.user, obj):
            raise Http404
        return obj

    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = services.update_endpoint(
                self.object, url=data["url"], events=data["events"], description=data.get("description", ""),
                is_active=data.get("is_active", True), actor=self.request.user)
        except WebhookError as exc:
            return self.refuse(form, exc)
        return self.save_action()


class EndpointIndexView(ScopedListingMixin, generic.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        buttons += [
            MenuItem(_("Show secret"), url=reverse("webhook-endpoints:secret", args=[instance.pk]), icon_name="key",
                     priority=40),
            MenuItem(_("Send test event"), url=reverse("webhook-endpoints:test", args=[instance.pk]),
                     icon_name="resubmit", priority=41),
            MenuItem(_("Deliveries"), url=reverse("webhook-deliveries:index") + f"?endpoint={instance.pk}",
                     icon_name="list-ul", priority=42),
        ]
        return buttons


def _scoped(model, user, pk, action="change"):
    if not policy_registry.get_by_type(model).user_has_permission(user, action):
        raise PermissionDenied
    obj = get_object_or_404(model, pk=pk)
    if not user_may_manage(user, obj):
        raise Http404
    return obj


class ConfirmView(View):
    """GET asks, POST does. Scoped to the user's tenants."""

    template_name = "webhooks/admin/confirm.html"

    def render(self, context):
        context.setdefault("header_icon", "link")
        return TemplateResponse(self.request, self.template_name, context)


class EndpointSecretView(ConfirmView):
    def get(self, request, pk):
        endpoint = _scoped(Endpoint, request.user, pk)
        return self.render({"page_title": _("Signing secret"), "endpoint": endpoint,
                            "intro": _("Show the signing secret of %(url)s? Showing it is recorded in the audit log.")
                            % {"url": endpoint.url},
                            "submit": _("Show secret"), "back_url": reverse("webhook-endpoints:index"),
                            "rotate_url": reverse("webhook-endpoints:rotate", args=[pk])})

    def post(self, request, pk):
        endpoint = _scoped(Endpoint, request.user, pk)
        secret = services.reveal_secret(endpoint, actor=request.user)
        return TemplateResponse(request, "webhooks/admin/secret.html", {
            "page_title": _("Signing secret"), "header_icon": "link", "endpoint": endpoint, "secret": secret,
            "back_url": reverse("webhook-endpoints:index")})


class EndpointRotateView(ConfirmView):
    def get(self, request, pk):
        endpoint = _scoped(Endpoint, request.user, pk)
        return self.render({"page_title": _("New signing secret"), "endpoint": endpoint,
                            "intro": _("Replace the signing secret of %(url)s? The old one stops working at once.")
                            % {"url": endpoint.url},
                            "submit": _("Replace secret"), "back_url": reverse("webhook-endpoints:index")})

    def post(self, request, pk):
        endpoint = services.rotate_secret(_scoped(Endpoint, request.user, pk), actor=request.user)
        return TemplateResponse(request, "webhooks/admin/secret.html", {
            "page_title": _("Signing secret"), "header_icon": "link", "endpoint": endpoint,
            "secret": endpoint.secret, "back_url": reverse("webhook-endpoints:index")})


class EndpointTestView(ConfirmView):
    def get(self, request, pk):
        endpoint = _scoped(Endpoint, request.user, pk)
        return self.render({"page_title": _("Send test event"), "endpoint": endpoint,
                            "intro": _("Send a signed “webhook.test” event to %(url)s now?") % {"url": endpoint.url},
                            "submit": _("Send test event"), "back_url": reverse("webhook-endpoints:index")})

    def post(self, request, pk):
        endpoint = _scoped(Endpoint, request.user, pk)
        try:
            delivery = services.send_test_event(endpoint, actor=request.user)
        except WebhookError as exc:
            messages.error(request, exc.message)
            return redirect("webhook-endpoints:index")
        # The admin is waiting for the answer: send it now (the queued task then finds it sent).
        services.attempt_delivery(delivery.pk)
        delivery.refresh_from_db()
        if delivery.status == Delivery.Status.SUCCEEDED:
            messages.success(request, _("Test event delivered (HTTP %(status)s).") % {
                "status": delivery.response_status})
        else:
            messages.info(request, _("Test event queued; see the delivery log for the result."))
        return redirect(reverse("webhook-deliveries:inspect", args=[delivery.pk]))


class DeliveryRedeliverView(ConfirmView):
    def get(self, request, pk):
        delivery = _scoped(Delivery, request.user, pk, action="view")
        return self.render({"page_title": _("Redeliver"), "intro": _(
            "Send the “%(event)s” event %(id)s to %(url)s again?") % {
            "event": delivery.event_type, "id": delivery.message_id, "url": delivery.endpoint.url},
            "submit": _("Redeliver"), "back_url": reverse("webhook-deliveries:index")})

    def post(self, request, pk):
        delivery = _scoped(Delivery, request.user, pk, action="view")
        again = services.redeliver(delivery, actor=request.user)
        messages.success(request, _("Redelivery queued."))
        return redirect(reverse("webhook-deliveries:inspect", args=[again.pk]))


class EndpointViewSet(TenantScopedModelViewSet):
    name = "webhook-endpoints"
    model = Endpoint
    icon = "link"
    menu_label = gettext_lazy("Endpoints")
    index_view_class = EndpointIndexView
    add_view_class = EndpointCreateView
    edit_view_class = EndpointEditView
    list_display = ["url", "events", "is_active", "failing_since", "tenant"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    form_fields = ["tenant", "url", "description", "events", "is_active"]
    copy_view_enabled = False
    inspect_view_enabled = False

    def get_form_class(self, for_update=False):
        fields = ["tenant", "url", "description", "events"] + (["is_active"] if for_update else [])
        return modelform_factory(Endpoint, form=EndpointForm, fields=fields)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/secret/", EndpointSecretView.as_view(), name="secret"),
            path("<int:pk>/rotate/", EndpointRotateView.as_view(), name="rotate"),
            path("<int:pk>/test/", EndpointTestView.as_view(), name="test"),
        ]


class DeliveryInspectView(generic.InspectView):
    template_name = "webhooks/admin/delivery_inspect.html"

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not user_may_manage(self.request.user, obj):
            raise Http404
        return obj

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attempts"] = self.object.attempt_log.order_by("number")
        context["redeliver_url"] = reverse("webhook-deliveries:redeliver", args=[self.object.pk])
        return context


class DeliveryIndexView(ScopedListingMixin, generic.IndexView):
    def get_base_queryset(self):
        queryset = super().get_base_queryset().select_related("endpoint")
        endpoint = self.request.GET.get("endpoint", "")
        return queryset.filter(endpoint_id=endpoint) if endpoint.isdigit() else queryset

    def get_list_more_buttons(self, instance):
        return super().get_list_more_buttons(instance) + [
            MenuItem(_("Redeliver"), url=reverse("webhook-deliveries:redeliver", args=[instance.pk]),
                     icon_name="resubmit", priority=40)]


class DeliveryViewSet(TenantScopedModelViewSet):
    name = "webhook-deliveries"
    model = Delivery
    icon = "list-ul"
    menu_label = gettext_lazy("Delivery log")
    index_view_class = DeliveryIndexView
    inspect_view_class = DeliveryInspectView
    list_display = [DateColumn("created_at", label=gettext_lazy("Created")), "event_type", "endpoint", "status",
                    "attempts", Column("response_status", label=gettext_lazy("Response")),
                    DateColumn("next_attempt_at", label=gettext_lazy("Next attempt")), "message_id"]
    list_filter = ["status", "event_type"]
    search_fields = ["message_id", "event_type"]
    form_fields = []
    add_view_enabled = False
    edit_view_enabled = False
    delete_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/redeliver/", DeliveryRedeliverView.as_view(), name="redeliver"),
        ]


class WebhooksGroup(ViewSetGroup):
    menu_label = gettext_lazy("Webhooks")
    menu_icon = "link"
    menu_order = 260
    items = (EndpointViewSet, DeliveryViewSet)


@hooks.register("register_admin_viewset")
def register_webhook_viewsets():
    return WebhooksGroup()
