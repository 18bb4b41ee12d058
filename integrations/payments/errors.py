from django.utils.translation import gettext_lazy as _

from site_platform.errors import CatalogueError


class PaymentError(CatalogueError):
    """A refusal a user can read; `code` picks the message from the catalogue."""

    messages = {
        "not_connected": _("This school cannot take payments online yet. Please contact the school."),
        "stripe_unavailable": _("The payment service is not answering. Please try again in a minute."),
        "stripe_refused": _("The payment service refused the request: %(detail)s"),
        "card_declined": _("Your card was declined."),
        "hold_expired": _("Your seat is no longer held: the time to pay has run out. Please book again."),
        "not_payable": _("This booking does not need a payment."),
        "already_paid": _("This booking is already paid."),
        "coupon_unknown": _("“%(coupon)s” is not a valid coupon code."),
        "coupon_not_yet": _("This coupon is not valid yet."),
        "coupon_expired": _("This coupon has expired."),
        "coupon_used_up": _("This coupon has been used up."),
        "coupon_other_event": _("This coupon is not valid for this event."),
        "coupon_already": _("A coupon is already applied to this booking."),
        "oauth_not_configured": _("Connecting with Stripe is not configured on this platform."),
        "oauth_state_invalid": _("This Stripe connection link has expired or is not for you. Please start again."),
        "oauth_refused": _("Stripe did not connect the account: %(detail)s"),
        "keys_not_allowed": _("Entering account keys is not enabled on this platform."),
        "keys_invalid": _("Stripe did not accept this secret key: %(detail)s"),
        "publish_needs_account": _("A paid event type cannot be published until the school's Stripe account is "
                                   "connected (Payments → Stripe account)."),
    }
