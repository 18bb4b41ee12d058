"""Payments admin: the Stripe connection of each tenant, the transaction and refund
history (Wagtail report views: filters, CSV and XLSX export, totals), a manual
refund retry. Tenant admins see their own tenants; super admins see all."""

import datetime

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView

from booking.models import EventType
from site_platform.admin_scoping import admin_tenants, scope_queryset
from site_platform.models import Tenant

from . import connect, refunds
from .errors import PaymentError
from .models import Payment, Refund, StripeAccount


def _tenants_for(user):
    tenants = admin_tenants(user)
    return Tenant.objects.all() if tenants is None else tenants


def _event_types(request):
    return scope_queryset(EventType.objects.all(), request.user)


class TransactionFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label=gettext_lazy("Date"), widget=DateRangePickerWidget)
    event_type = django_filters.ModelChoiceFilter(label=gettext_lazy("Event type"), queryset=_event_types,
                                                  empty_label=gettext_lazy("All"))
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=Payment.Status.choices,
                                         empty_label=gettext_lazy("All"))
    disputed = django_filters.BooleanFilter(label=gettext_lazy("Disputed"))

    class Meta:
        model = Payment
        fields = ["created_at", "event_type", "status", "disputed"]


class TransactionReportView(ReportView):
    """Payments of the user's tenants, filterable, with totals per currency."""

    page_title = gettext_lazy("Transactions")
    header_icon = "doc-full"
    model = Payment
    permission_required = "view"
    template_name = "payments/admin/transactions_report.html"
    filterset_class = TransactionFilterSet
    index_url_name = "payments_transactions"
    index_results_url_name = "payments_transactions_results"
    columns = [
        DateColumn("created_at", label=gettext_lazy("Date")),
        Column("tenant", label=gettext_lazy("School")),
        Column("event_type", label=gettext_lazy("Event type")),
        Column("attendee", label=gettext_lazy("Student"), accessor="booking.attendee_email"),
        Column("amount", label=gettext_lazy("Amount")),
        Column("currency", label=gettext_lazy("Currency")),
        Column("amount_refunded", label=gettext_lazy("Refunded")),
        Column("application_fee", label=gettext_lazy("Platform fee")),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("receipt_number", label=gettext_lazy("Receipt")),
        Column("disputed", label=gettext_lazy("Disputed")),
    ]
    list_export = ["created_at", "tenant.name", "event_type.title", "booking.uid", "booking.attendee_email",
                   "amount", "currency", "amount_refunded", "application_fee", "status", "receipt_number",
                   "payment_intent_id", "disputed"]
    export_headings = {"created_at": gettext_lazy("Date"), "tenant.name": gettext_lazy("School"),
                       "event_type.title": gettext_lazy("Event type"), "booking.uid": gettext_lazy("Booking"),
                       "booking.attendee_email": gettext_lazy("Student"), "amount": gettext_lazy("Amount"),
                       "currency": gettext_lazy("Currency"), "amount_refunded": gettext_lazy("Refunded"),
                       "application_fee": gettext_lazy("Platform fee"), "status": gettext_lazy("Status"),
                       "receipt_number": gettext_lazy("Receipt"), "payment_intent_id": gettext_lazy("Stripe payment"),
                       "disputed": gettext_lazy("Disputed")}

    def get_filename(self):
        return f"transactions-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        queryset = Payment.objects.select_related("tenant", "event_type", "booking").order_by("-created_at", "-pk")
        return scope_queryset(queryset, self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        settled = Q(status__in=Payment.SETTLED)
        context["totals"] = list(self.object_list.order_by().values("currency").annotate(
            count=Count("pk", filter=settled), paid=Sum("amount", filter=settled),
            refunded=Sum("amount_refunded", filter=settled), fees=Sum("application_fee", filter=settled),
        ).order_by("currency"))
        for row in context["totals"]:
            row["net"] = (row["paid"] or 0) - (row["refunded"] or 0)
        return context


class RefundFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label=gettext_lazy("Date"), widget=DateRangePickerWidget)
    event_type = django_filters.ModelChoiceFilter(label=gettext_lazy("Event type"), queryset=_event_types,
                                                  field_name="payment__event_type", empty_label=gettext_lazy("All"))
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=Refund.Status.choices,
                                         empty_label=gettext_lazy("All"))

    class Meta:
        model = Refund
        fields = ["created_at", "event_type", "status"]


class RetryColumn(Column):
    cell_template_name = "payments/admin/retry_cell.html"


class RefundReportView(ReportView):
    page_title = gettext_lazy("Refunds")
    header_icon = "undo"
    model = Refund
    permission_required = "view"
    template_name = "payments/admin/transactions_report.html"
    filterset_class = RefundFilterSet
    index_url_name = "payments_refunds"
    index_results_url_name = "payments_refunds_results"
    columns = [
        DateColumn("created_at", label=gettext_lazy("Date")),
        Column("tenant", label=gettext_lazy("School")),
        Column("student", label=gettext_lazy("Student"), accessor="payment.booking.attendee_email"),
        Column("amount", label=gettext_lazy("Amount")),
        Column("currency", label=gettext_lazy("Currency")),
        Column("purpose", label=gettext_lazy("Reason"), accessor="get_purpose_display"),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column("attempts", label=gettext_lazy("Attempts")),
        Column("last_error", label=gettext_lazy("Last error")),
        RetryColumn("retry", label=""),
    ]
    list_export = ["created_at", "tenant.name", "payment.booking.uid", "payment.booking.attendee_email", "amount",
                   "currency", "purpose", "status", "stripe_refund_id", "attempts", "last_error"]

    def get_filename(self):
        return f"refunds-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        queryset = Refund.objects.select_related("tenant", "payment__booking").order_by("-created_at", "-pk")
        return scope_queryset(queryset, self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["totals"] = list(self.object_list.order_by().values("currency").annotate(
            count=Count("pk"), refunded=Sum("amount", filter=Q(status=Refund.Status.SUCCEEDED)),
            failed=Count("pk", filter=Q(status__in=(Refund.Status.FAILED, Refund.Status.GAVE_UP))),
        ).order_by("currency"))
        context["is_refunds"] = True
        return context


class RefundRetryView(View):
    """Send a failed refund again now (an admin saw it fail)."""

    def post(self, request, pk):
        if not request.user.has_perm("payments.view_refund"):
            raise PermissionDenied
        refund = scope_queryset(Refund.objects.all(), request.user).filter(pk=pk).first()
        if refund is None:
            raise Http404
        if refund.status == Refund.Status.GAVE_UP:
            Refund.objects.filter(pk=refund.pk, status=Refund.Status.GAVE_UP).update(status=Refund.Status.FAILED)
        refund = refunds.execute_refund(refund.pk)
        if refund.status in (Refund.Status.SUCCEEDED, Refund.Status.PENDING):
            messages.success(request, _("Refund sent."))
        else:
            messages.error(request, _("The refund failed again: %(error)s") % {"error": refund.last_error})
        return redirect("payments_refunds")


class KeysForm(forms.Form):
    secret_key = forms.CharField(label=gettext_lazy("Secret key"), widget=forms.PasswordInput, max_length=255)
    publishable_key = forms.CharField(label=gettext_lazy("Publishable key"), required=False, max_length=255)
    webhook_secret = forms.CharField(label=gettext_lazy("Webhook signing secret"), required=False,
                                     widget=forms.PasswordInput, max_length=255)


class StripeConnectionView(View):
    """Each administered tenant's connection: state, Connect with Stripe, keys, disconnect."""

    template_name = "payments/admin/stripe_connection.html"

    def _tenant(self, request, tenant_id):
        tenant = _tenants_for(request.user).filter(pk=tenant_id).first()
        if tenant is None:
            raise Http404
        return tenant

    def get(self, request):
        if not request.user.has_perm("payments.view_stripeaccount"):
            raise PermissionDenied
        tenants = list(_tenants_for(request.user).order_by("name")[:200])
        accounts = {a.tenant_id: a for a in StripeAccount.objects.filter(tenant__in=tenants)}
        rows = [{"tenant": t, "account": accounts.get(t.pk)} for t in tenants]
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Stripe account"), "header_icon": "link", "rows": rows,
            "oauth_enabled": connect.oauth_enabled(), "keys_enabled": connect.keys_enabled(), "keys_form": KeysForm(),
            "webhook_url": request.build_absolute_uri("/integrations/stripe/webhook/"),
        })

    def post(self, request):
        if not request.user.has_perm("payments.view_stripeaccount"):
            raise PermissionDenied
        tenant = self._tenant(request, request.POST.get("tenant"))
        action = request.POST.get("action")
        try:
            if action == "connect":
                return redirect(connect.authorize_url(tenant, request.user))
            if action == "keys":
                form = KeysForm(request.POST)
                if form.is_valid():
                    connect.connect_with_keys(tenant, actor=request.user, **form.cleaned_data)
                    messages.success(request, _("Stripe account connected."))
                else:
                    messages.error(request, _("Enter the account's secret key."))
            elif action == "disconnect":
                warning = connect.disconnect(tenant, actor=request.user)
                messages.success(request, _("Stripe account disconnected."))
                if warning:
                    messages.warning(request, _("Stripe could not be told: %(error)s") % {"error": warning})
        except PaymentError as error:
            messages.error(request, error.message)
        return redirect("payments_stripe")


class StripeCallbackView(View):
    """Stripe sends the admin back here with a code and our signed state."""

    def get(self, request):
        try:
            tenant_id = connect.read_state(request.GET.get("state"), request.user)
            tenant = _tenants_for(request.user).filter(pk=tenant_id).first()
            if tenant is None:
                raise PaymentError("oauth_state_invalid")
            if request.GET.get("error"):
                raise PaymentError("oauth_refused", detail=request.GET.get("error_description") or
                                   request.GET["error"])
            connect.complete_oauth(tenant, request.GET.get("code", ""), actor=request.user)
        except PaymentError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Stripe account connected for %(tenant)s.") % {"tenant": tenant})
        return redirect(reverse("payments_stripe"))
