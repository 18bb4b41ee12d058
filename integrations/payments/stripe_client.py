"""The one way the project talks to Stripe: a client per tenant.

Built on the official `stripe` library (`StripeClient`); the API and Connect
base addresses come from settings (STRIPE_API_BASE, STRIPE_CONNECT_BASE) so the
tests point the real library at a fake Stripe on loopback. Every request has a
timeout; 429, 5xx, timeouts and unreadable answers are retried with backoff
(honouring `Retry-After`) and, still failing, raise `StripeUnavailable`. Stripe
refusing a request (a declined card, an invalid request) raises `StripeRefused`.
Writes always carry the caller's idempotency key, so a retry can never do a
thing twice.

Connected accounts (OAuth) are reached with the platform key and
`stripe_account=` (direct charges); an account connected by its own keys is
reached with its key.
"""

import logging
import time

import stripe
from django.conf import settings

from .errors import PaymentError

logger = logging.getLogger(__name__)

MAX_RETRY_AFTER_SECONDS = 30


class StripeProblem(Exception):
    def __init__(self, message, *, code="", status=None):
        super().__init__(message)
        self.code = code or ""
        self.status = status


class StripeUnavailable(StripeProblem):
    """Stripe did not answer usefully (timeout, 5xx, 429, unreadable body). Try again later."""


class StripeRefused(StripeProblem):
    """Stripe answered and said no (card declined, invalid request, no access)."""


def _base_addresses():
    return {"api": settings.STRIPE_API_BASE.rstrip("/"), "connect": settings.STRIPE_CONNECT_BASE.rstrip("/")}


def _retry_after(error):
    headers = getattr(error, "headers", None) or {}
    for name, value in dict(headers).items():
        if name.lower() == "retry-after":
            try:
                return min(float(value), MAX_RETRY_AFTER_SECONDS)
            except (TypeError, ValueError):
                return None
    return None


class StripeGateway:
    """Stripe on behalf of one tenant's account (or the platform, `for_platform`)."""

    def __init__(self, *, api_key, stripe_account=None, charges_on_behalf=False):
        self.api_key = api_key
        self.stripe_account = stripe_account
        # True when the platform charges on a connected account (an application fee may apply).
        self.charges_on_behalf = charges_on_behalf
        self.client = stripe.StripeClient(
            api_key, base_addresses=_base_addresses(), max_network_retries=0, client_id=settings.STRIPE_CLIENT_ID or None,
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
        )

    @classmethod
    def for_platform(cls):
        if not settings.STRIPE_SECRET_KEY:
            raise PaymentError("oauth_not_configured")
        return cls(api_key=settings.STRIPE_SECRET_KEY)

    @classmethod
    def for_tenant(cls, tenant):
        """The gateway for the tenant's connected account; PaymentError("not_connected") without one."""
        from .models import StripeAccount

        account = StripeAccount.objects.filter(tenant_id=getattr(tenant, "pk", tenant),
                                               status=StripeAccount.Status.CONNECTED).first()
        if account is None:
            raise PaymentError("not_connected")
        return cls.for_account(account)

    @classmethod
    def for_account(cls, account):
        if account.mode == account.Mode.KEYS:
            return cls(api_key=account.secret_key, stripe_account=None)
        if not settings.STRIPE_SECRET_KEY:
            raise PaymentError("not_connected")
        return cls(api_key=settings.STRIPE_SECRET_KEY, stripe_account=account.account_id, charges_on_behalf=True)

    # Plumbing ----------------------------------------------------------------------------------

    def _options(self, idempotency_key=None):
        options = {}
        if self.stripe_account:
            options["stripe_account"] = self.stripe_account
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        return options

    def call(self, method, params=None, *, idempotency_key=None, options=None):
        """Run one library call with retries. `method` is a bound `StripeClient` service method."""
        attempts = max(0, int(settings.STRIPE_MAX_RETRIES)) + 1
        merged = {**self._options(idempotency_key), **(options or {})}
        for attempt in range(1, attempts + 1):
            try:
                result = method(params or {}, merged) if merged else method(params or {})
                return result.to_dict() if hasattr(result, "to_dict") else result
            except stripe.RateLimitError as error:
                problem, wait = StripeUnavailable(str(error.user_message or error), code="rate_limit",
                                                  status=429), _retry_after(error)
            except (stripe.APIConnectionError, stripe.APIError) as error:
                problem, wait = StripeUnavailable(str(error.user_message or error) or "Stripe is unavailable",
                                                  code="unavailable", status=error.http_status), None
            except stripe.oauth_error.OAuthError as error:
                raise StripeRefused(str(error.user_message or error), code=error.code or "oauth_error",
                                    status=error.http_status) from error
            except stripe.StripeError as error:
                if error.http_status and error.http_status >= 500:
                    problem, wait = StripeUnavailable(str(error), code="unavailable", status=error.http_status), None
                else:
                    raise StripeRefused(str(error.user_message or error), code=error.code or "",
                                        status=error.http_status) from error
            except ValueError as error:  # an answer the library could not parse
                problem, wait = StripeUnavailable(f"Unreadable answer from Stripe: {error}", code="malformed"), None
            if attempt == attempts:
                raise problem
            delay = wait if wait is not None else settings.STRIPE_RETRY_BASE_DELAY * (2 ** (attempt - 1))
            logger.warning("Stripe call failed (%s), retry %s of %s in %.2fs", problem.code, attempt,
                           attempts - 1, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    # Checkout and payments ---------------------------------------------------------------------

    def create_checkout_session(self, params, *, idempotency_key):
        return self.call(self.client.v1.checkout.sessions.create, params, idempotency_key=idempotency_key)

    def retrieve_checkout_session(self, session_id):
        return self.call(lambda p, o=None: self.client.v1.checkout.sessions.retrieve(session_id, p, o))

    def expire_checkout_session(self, session_id, *, idempotency_key):
        return self.call(lambda p, o=None: self.client.v1.checkout.sessions.expire(session_id, p, o),
                         idempotency_key=idempotency_key)

    def retrieve_payment_intent(self, payment_intent_id):
        return self.call(lambda p, o=None: self.client.v1.payment_intents.retrieve(payment_intent_id, p, o),
                         {"expand": ["latest_charge"]})

    def retrieve_charge(self, charge_id):
        return self.call(lambda p, o=None: self.client.v1.charges.retrieve(charge_id, p, o))

    def retrieve_dispute(self, dispute_id):
        return self.call(lambda p, o=None: self.client.v1.disputes.retrieve(dispute_id, p, o))

    def create_refund(self, params, *, idempotency_key):
        return self.call(self.client.v1.refunds.create, params, idempotency_key=idempotency_key)

    def retrieve_refund(self, refund_id):
        return self.call(lambda p, o=None: self.client.v1.refunds.retrieve(refund_id, p, o))

    def retrieve_event(self, event_id):
        return self.call(lambda p, o=None: self.client.v1.events.retrieve(event_id, p, o))

    def retrieve_account(self):
        if self.stripe_account:
            return self.call(lambda p, o=None: self.client.v1.accounts.retrieve(self.stripe_account, p, o))
        return self.call(lambda p, o=None: self.client.v1.accounts.retrieve_current(p, o))

    # Connect OAuth (platform) ------------------------------------------------------------------

    def authorize_url(self, *, state, redirect_uri):
        return self.client.oauth.authorize_url({
            "response_type": "code", "scope": "read_write", "state": state, "redirect_uri": redirect_uri,
            "client_id": settings.STRIPE_CLIENT_ID,
        })

    def oauth_token(self, code):
        return self.call(self.client.oauth.token, {"grant_type": "authorization_code", "code": code})

    def oauth_deauthorize(self, account_id):
        return self.call(self.client.oauth.deauthorize,
                         {"client_id": settings.STRIPE_CLIENT_ID, "stripe_user_id": account_id})
