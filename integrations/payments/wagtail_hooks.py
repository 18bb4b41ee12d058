from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel

from site_platform.admin_scoping import TenantScopedModelViewSet

from .admin_views import (
    RefundReportView, RefundRetryView, StripeCallbackView, StripeConnectionView, TransactionReportView,
)
from .models import Coupon, GroupDiscount, PriceGroup, TenantBillingProfile


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


class CouponViewSet(TenantScopedModelViewSet):
    name = "coupons"
    model = Coupon
    icon = "tag"
    menu_label = _("Coupons")
    add_to_admin_menu = False
    list_display = ["code", "kind", "value", "event_type", "times_used", "max_uses", "valid_until", "is_active",
                    "tenant"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code"]
    copy_view_enabled = False
    panels = [
        FieldPanel("tenant"), FieldPanel("code"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("value")]),
        FieldPanel("event_type"), FieldPanel("max_uses"),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
        FieldPanel("is_active"),
    ]


class PriceGroupViewSet(TenantScopedModelViewSet):
    name = "price-groups"
    model = PriceGroup
    icon = "group"
    menu_label = _("Price groups")
    add_to_admin_menu = False
    list_display = ["name", "tenant"]
    search_fields = ["name", "members__email"]
    copy_view_enabled = False
    panels = [
        FieldPanel("tenant"), FieldPanel("name"), FieldPanel("description"),
        InlinePanel("prices", panels=[FieldPanel("event_type"), FieldPanel("price")], heading=_("Prices"),
                    label=_("Price")),
        InlinePanel("members", panels=[FieldPanel("email")], heading=_("Members"), label=_("Member")),
    ]


class GroupDiscountViewSet(TenantScopedModelViewSet):
    name = "group-discounts"
    model = GroupDiscount
    icon = "group"
    menu_label = _("Group discounts")
    add_to_admin_menu = False
    list_display = ["event_type", "min_seats", "percent", "tenant"]
    copy_view_enabled = False
    panels = [FieldPanel("tenant"), FieldPanel("event_type"), FieldRowPanel([FieldPanel("min_seats"),
                                                                            FieldPanel("percent")])]


class BillingProfileViewSet(TenantScopedModelViewSet):
    name = "billing-profiles"
    model = TenantBillingProfile
    icon = "doc-full"
    menu_label = _("Receipt details")
    add_to_admin_menu = False
    list_display = ["legal_name", "receipt_prefix", "next_receipt_number", "tenant"]
    copy_view_enabled = False
    panels = [
        FieldPanel("tenant"),
        MultiFieldPanel([FieldPanel("legal_name"), FieldPanel("address"), FieldPanel("tax_id"), FieldPanel("email")],
                        heading=_("On receipts")),
        FieldPanel("receipt_prefix"),
    ]


VIEWSETS = [CouponViewSet(), PriceGroupViewSet(), GroupDiscountViewSet(), BillingProfileViewSet()]


@hooks.register("register_admin_viewset")
def register_payment_viewsets():
    return VIEWSETS


@hooks.register("register_admin_urls")
def register_payment_admin_urls():
    return [
        path("payments/stripe/", StripeConnectionView.as_view(), name="payments_stripe"),
        path("payments/stripe/callback/", StripeCallbackView.as_view(), name="payments_stripe_callback"),
        path("payments/transactions/", TransactionReportView.as_view(), name="payments_transactions"),
        path("payments/transactions/results/", TransactionReportView.as_view(results_only=True),
             name="payments_transactions_results"),
        path("payments/refunds/", RefundReportView.as_view(), name="payments_refunds"),
        path("payments/refunds/results/", RefundReportView.as_view(results_only=True),
             name="payments_refunds_results"),
        path("payments/refunds/<int:pk>/retry/", RefundRetryView.as_view(), name="payments_refund_retry"),
    ]


@hooks.register("register_admin_menu_item")
def register_payments_menu():
    items = [
        PermissionMenuItem(_("Transactions"), reverse("payments_transactions"), icon_name="doc-full",
                           permission="payments.view_payment", order=100),
        PermissionMenuItem(_("Refunds"), reverse("payments_refunds"), icon_name="undo",
                           permission="payments.view_refund", order=110),
        PermissionMenuItem(_("Stripe account"), reverse("payments_stripe"), icon_name="link",
                           permission="payments.view_stripeaccount", order=120),
    ]
    for order, viewset in enumerate(VIEWSETS, start=200):
        items.append(PermissionMenuItem(viewset.menu_label, reverse(viewset.get_url_name("index")),
                                        icon_name=viewset.icon, order=order,
                                        permission=f"payments.view_{viewset.model._meta.model_name}"))
    return SubmenuMenuItem(_("Payments"), Menu(items=items), icon_name="doc-full", order=215)
