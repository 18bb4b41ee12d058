"""A fake Stripe API on loopback, driven by the real `stripe` library.

A real HTTP server (threading http.server on 127.0.0.1, port 0 picks a free one)
speaking the parts of Stripe's API the payments app uses, form-encoded like the
real one:

    POST /v1/checkout/sessions, GET /v1/checkout/sessions/{id}, POST .../{id}/expire
    GET  /v1/payment_intents/{id}   (expand[]=latest_charge)
    GET  /v1/charges/{id}, GET /v1/disputes/{id}
    POST /v1/refunds, GET /v1/refunds/{id}
    GET  /v1/events/{id}
    GET  /v1/account, GET /v1/accounts/{id}
    POST /oauth/token, POST /oauth/deauthorize   (the Connect base: same server)

Objects live per account. A request acts as the account of its API key, or, with
the platform key or an OAuth access token, as the connected account named in the
`Stripe-Account` header (refused when that account is not connected).
`Idempotency-Key` replays the first answer for the same key and account, and
refuses a reuse with different parameters, as Stripe does.

    fake = FakeStripe().start()
    acct = fake.add_account(name="Hanoi English Centre")      # connected to the platform
    fake.fail_next("card_declined", path="/v1/refunds")         # also: 500, "timeout", 429, "malformed"
    events = fake.pay(session_id, account=acct)                 # the student pays in Checkout
    body, signature = fake.signed(event, secret)                # a webhook delivery, real signing scheme
    fake.received                                               # every request with params and headers
"""

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

PLATFORM_ACCOUNT = "acct_platform"
ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                "XAF", "XOF", "XPF"}


def decode_form(body):
    """Stripe's form encoding (a[b][0][c]=v) back into dicts and lists."""
    root = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = root
        for index, part in enumerate(parts):
            if part == "":
                part = str(len(node))
            if index == len(parts) - 1:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node):
    if isinstance(node, dict):
        node = {k: _listify(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


@dataclass
class Received:
    method: str
    path: str
    params: dict
    account: str | None
    acting_as: str | None
    api_key: str
    idempotency_key: str | None
    status: int = 0


@dataclass
class Failure:
    mode: object  # "card_declined", 500, 429, "timeout", "malformed"
    path: str | None = None
    method: str | None = None
    times: int = 1
    retry_after: int | None = 0
    delay: float = 3.0

    def matches(self, method, path):
        return (self.path is None or path.startswith(self.path)) and (self.method is None or self.method == method)


@dataclass
class Account:
    id: str
    name: str
    connected: bool = True
    secret_key: str | None = None
    objects: dict = field(default_factory=dict)
    events: list = field(default_factory=list)


class StripeError(Exception):
    def __init__(self, status, type_, message, **extra):
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": type_, "message": message, **extra}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.fake.handle(self)

    do_POST = do_DELETE = do_GET

    def log_message(self, format, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeStripe:
    def __init__(self, *, host="127.0.0.1", port=0, platform_key="sk_test_platform", client_id="ca_test_platform"):
        self.host, self.port = host, port
        self.platform_key, self.client_id = platform_key, client_id
        self.lock = threading.RLock()
        self.accounts = {PLATFORM_ACCOUNT: Account(PLATFORM_ACCOUNT, "Platform")}
        self.keys = {platform_key: PLATFORM_ACCOUNT}
        self.access_tokens = {}
        self.oauth_codes = {}
        self.idempotent = {}
        self.failures = []
        self.received = []
        self._ids = itertools.count(1)
        self._server = None
        self._thread = None

    # Life --------------------------------------------------------------------------------------

    def start(self):
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    # Set-up and inspection ---------------------------------------------------------------------

    def new_id(self, prefix):
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(4)}"

    def add_account(self, account_id=None, *, name="Connected school", connected=True, secret_key=None):
        with self.lock:
            account_id = account_id or self.new_id("acct")
            self.accounts[account_id] = Account(account_id, name, connected=connected, secret_key=secret_key)
            if secret_key:
                self.keys[secret_key] = account_id
            return account_id

    def authorize(self, account_id):
        """The school clicks "Connect" at Stripe: a code the callback exchanges."""
        code = self.new_id("ac")
        self.oauth_codes[code] = account_id
        return code

    def fail_next(self, mode, *, times=1, path=None, method=None, retry_after=0, delay=3.0):
        with self.lock:
            self.failures.append(Failure(mode, path, method, times, retry_after, delay))

    def requests_to(self, method, path_prefix):
        return [r for r in self.received if r.method == method and r.path.startswith(path_prefix)]

    def objects(self, account_id, prefix):
        return [o for k, o in self.accounts[account_id].objects.items() if k.startswith(prefix + "_")]

    def get(self, account_id, object_id):
        return self.accounts[account_id].objects[object_id]

    # Events and webhook signing ------------------------------------------------------------------

    def _event(self, account_id, type_, obj):
        event = {
            "id": self.new_id("evt"), "object": "event", "api_version": "2025-01-27.acacia",
            "created": int(time.time()), "type": type_, "livemode": False, "pending_webhooks": 1,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if account_id != PLATFORM_ACCOUNT:
            event["account"] = account_id
        self.accounts.setdefault(account_id, Account(account_id, "")).objects[event["id"]] = event
        self.accounts[account_id].events.append(event)
        return event

    @staticmethod
    def signed(event, secret, *, timestamp=None):
        """(body, Stripe-Signature header) for a webhook delivery: t=...,v1=HMAC-SHA256("t.body")."""
        body = json.dumps(event).encode() if not isinstance(event, (bytes, str)) else (
            event.encode() if isinstance(event, str) else event)
        timestamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return body, f"t={timestamp},v1={digest}"

    # What happens at Stripe's end ----------------------------------------------------------------

    def pay(self, session_id, *, account, outcome="succeeded"):
        """The student pays the Checkout Session: events that Stripe would send.
        outcome "declined" leaves the session open with a failed PaymentIntent."""
        with self.lock:
            store = self.accounts[account].objects
            session = store[session_id]
            if session["status"] != "open":
                raise ValueError(f"session is {session['status']}")
            intent_id = session.get("payment_intent") or self.new_id("pi")
            intent = store.get(intent_id) or {
                "id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                "amount_received": 0, "currency": session["currency"], "status": "requires_payment_method",
                "metadata": dict(session.get("payment_intent_data", {}).get("metadata", {})),
                "application_fee_amount": _int(session.get("payment_intent_data", {}).get("application_fee_amount")),
                "latest_charge": None, "last_payment_error": None, "created": int(time.time()),
            }
            store[intent_id] = intent
            session["payment_intent"] = intent_id
            if outcome == "declined":
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {"type": "card_error", "code": "card_declined",
                                                "message": "Your card was declined."}
                return [self._event(account, "payment_intent.payment_failed", intent)]
            charge_id = self.new_id("ch")
            store[charge_id] = {
                "id": charge_id, "object": "charge", "amount": intent["amount"], "amount_refunded": 0,
                "currency": intent["currency"], "payment_intent": intent_id, "refunded": False, "paid": True,
                "status": "succeeded", "metadata": intent["metadata"], "disputed": False,
            }
            intent.update(status="succeeded", amount_received=intent["amount"], latest_charge=charge_id,
                          last_payment_error=None)
            session.update(status="complete", payment_status="paid")
            return [self._event(account, "checkout.session.completed", session),
                    self._event(account, "payment_intent.succeeded", intent)]

    def expire(self, session_id, *, account):
        with self.lock:
            session = self.accounts[account].objects[session_id]
            if session["status"] != "open":
                raise ValueError(f"session is {session['status']}")
            session["status"] = "expired"
            return [self._event(account, "checkout.session.expired", session)]

    def dispute(self, payment_intent_id, *, account, reason="fraudulent"):
        with self.lock:
            store = self.accounts[account].objects
            intent = store[payment_intent_id]
            charge = store[intent["latest_charge"]]
            charge["disputed"] = True
            dispute_id = self.new_id("dp")
            store[dispute_id] = {"id": dispute_id, "object": "dispute", "amount": charge["amount"],
                                 "currency": charge["currency"], "charge": charge["id"],
                                 "payment_intent": payment_intent_id, "reason": reason,
                                 "status": "needs_response"}
            return [self._event(account, "charge.dispute.created", store[dispute_id])]

    def deauthorize(self, account_id):
        """The school disconnects the platform from its Stripe dashboard."""
        with self.lock:
            self.accounts[account_id].connected = False
            for token, acct in list(self.access_tokens.items()):
                if acct == account_id:
                    del self.access_tokens[token]
            return [self._event(account_id, "account.application.deauthorized",
                                {"id": self.client_id, "object": "application", "name": "Platform"})]

    def events_for(self, account_id):
        return list(self.accounts[account_id].events)

    # HTTP --------------------------------------------------------------------------------------

    def handle(self, handler):
        method = handler.command
        url = urlsplit(handler.path)
        path = url.path
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        params = decode_form(raw if method == "POST" else url.query)
        auth = handler.headers.get("Authorization", "")
        api_key = auth[7:] if auth.startswith("Bearer ") else ""
        stripe_account = handler.headers.get("Stripe-Account")
        idem_key = handler.headers.get("Idempotency-Key")
        record = Received(method, path, params, stripe_account, None, api_key, idem_key)
        with self.lock:
            self.received.append(record)
            failure = next((f for f in self.failures if f.matches(method, path)), None)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
        if failure is not None and self._fail(handler, failure, record):
            return
        try:
            with self.lock:
                if path.startswith("/oauth/"):
                    status, body = 200, self._oauth(path, params, api_key)
                else:
                    acting = self._acting_account(api_key, stripe_account)
                    record.acting_as = acting
                    status, body = self._idempotent(acting, method, path, params, idem_key)
        except StripeError as error:
            status, body = error.status, error.body
        record.status = status
        self._send(handler, status, body)

    def _fail(self, handler, failure, record):
        mode = failure.mode
        if mode == "timeout":
            time.sleep(failure.delay)
            record.status = 500
            self._send(handler, 500, {"error": {"type": "api_error", "message": "late"}})
            return True
        if mode == "malformed":
            record.status = 200
            data = b"<html>not json"
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
            return True
        if mode == "card_declined":
            record.status = 402
            self._send(handler, 402, {"error": {"type": "card_error", "code": "card_declined",
                                                "decline_code": "generic_decline",
                                                "message": "Your card was declined."}})
            return True
        if mode == 429:
            record.status = 429
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            self._send(handler, 429, {"error": {"type": "invalid_request_error", "code": "rate_limit",
                                                "message": "Too many requests."}}, headers)
            return True
        if isinstance(mode, int):
            record.status = mode
            self._send(handler, mode, {"error": {"type": "api_error", "message": "Something went wrong."}})
            return True
        return False

    @staticmethod
    def _send(handler, status, body, headers=None):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", "req_" + secrets.token_hex(6))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _acting_account(self, api_key, stripe_account):
        owner = self.keys.get(api_key)
        if owner is None and api_key in self.access_tokens:
            owner = self.access_tokens[api_key]
        if owner is None:
            raise StripeError(401, "invalid_request_error", "Invalid API Key provided.")
        if not stripe_account or stripe_account == owner:
            return owner
        account = self.accounts.get(stripe_account)
        if owner != PLATFORM_ACCOUNT or account is None or not account.connected:
            raise StripeError(403, "invalid_request_error",
                              "The provided key does not have access to account "
                              f"'{stripe_account}' (or that account does not exist).", code="account_invalid")
        return stripe_account

    def _idempotent(self, account, method, path, params, key):
        if method != "POST" or not key:
            return self._route(account, method, path, params)
        found = self.idempotent.get((account, key))
        if found is not None:
            first_path, first_params, status, body = found
            if (first_path, first_params) != (path, params):
                raise StripeError(400, "idempotency_error",
                                  "Keys for idempotent requests can only be used with the same parameters "
                                  "they were first used with.")
            return status, body
        try:
            status, body = self._route(account, method, path, params)
        except StripeError as error:
            status, body = error.status, error.body
        if status < 500:
            self.idempotent[(account, key)] = (path, params, status, body)
        if status >= 400:
            raise StripeError(status, body["error"]["type"], body["error"]["message"],
                              **{k: v for k, v in body["error"].items() if k not in ("type", "message")})
        return status, body

    def _route(self, account_id, method, path, params):
        account = self.accounts[account_id]
        store = account.objects
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        if method == "POST" and parts == ["checkout", "sessions"]:
            return 200, self._create_session(account_id, params)
        if method == "GET" and parts[:2] == ["checkout", "sessions"] and len(parts) == 3:
            return 200, self._find(store, parts[2], "checkout.session")
        if method == "POST" and parts[:2] == ["checkout", "sessions"] and parts[3:] == ["expire"]:
            session = self._find(store, parts[2], "checkout.session")
            if session["status"] != "open":
                raise StripeError(400, "invalid_request_error",
                                  f"Only Checkout Sessions with a status in [\"open\"] can be expired. "
                                  f"This Checkout Session has a status of \"{session['status']}\".")
            session["status"] = "expired"
            self._event(account_id, "checkout.session.expired", session)
            return 200, session
        if method == "GET" and parts[:1] == ["payment_intents"] and len(parts) == 2:
            intent = dict(self._find(store, parts[1], "payment_intent"))
            if "latest_charge" in _as_list(params.get("expand")) and intent.get("latest_charge"):
                intent["latest_charge"] = store[intent["latest_charge"]]
            return 200, intent
        if method == "GET" and parts[:1] == ["charges"] and len(parts) == 2:
            return 200, self._find(store, parts[1], "charge")
        if method == "GET" and parts[:1] == ["disputes"] and len(parts) == 2:
            return 200, self._find(store, parts[1], "dispute")
        if method == "POST" and parts == ["refunds"]:
            return 200, self._create_refund(account_id, params)
        if method == "GET" and parts[:1] == ["refunds"] and len(parts) == 2:
            return 200, self._find(store, parts[1], "refund")
        if method == "GET" and parts[:1] == ["events"] and len(parts) == 2:
            return 200, self._find(store, parts[1], "event")
        if method == "GET" and parts == ["account"]:
            return 200, self._account(account)
        if method == "GET" and parts[:1] == ["accounts"] and len(parts) == 2:
            if parts[1] != account_id:
                raise StripeError(403, "invalid_request_error", "No access to that account.",
                                  code="account_invalid")
            return 200, self._account(account)
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    @staticmethod
    def _find(store, object_id, kind):
        found = store.get(object_id)
        if found is None or found.get("object") != kind:
            raise StripeError(404, "invalid_request_error", f"No such {kind}: '{object_id}'",
                              code="resource_missing")
        return found

    @staticmethod
    def _account(account):
        return {"id": account.id, "object": "account", "type": "standard", "charges_enabled": True,
                "payouts_enabled": True, "details_submitted": True, "email": None,
                "settings": {"dashboard": {"display_name": account.name}},
                "business_profile": {"name": account.name}}

    def _create_session(self, account_id, params):
        items = _as_list(params.get("line_items"))
        if not items:
            raise StripeError(400, "invalid_request_error", "line_items is required.", param="line_items")
        currency = None
        total = 0
        for item in items:
            price = item.get("price_data") or {}
            currency = currency or price.get("currency")
            total += _int(price.get("unit_amount")) * _int(item.get("quantity") or 1)
        if not params.get("success_url"):
            raise StripeError(400, "invalid_request_error", "success_url is required.", param="success_url")
        fee = _int((params.get("payment_intent_data") or {}).get("application_fee_amount"))
        if fee and account_id == PLATFORM_ACCOUNT:
            raise StripeError(400, "invalid_request_error",
                              "Can only apply an application_fee_amount when the request is made on behalf of "
                              "another account.")
        session_id = self.new_id("cs_test")
        session = {
            "id": session_id, "object": "checkout.session", "mode": params.get("mode", "payment"),
            "status": "open", "payment_status": "unpaid", "amount_total": total, "currency": currency,
            "client_reference_id": params.get("client_reference_id"), "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata") or {}, "payment_intent": None,
            "payment_intent_data": params.get("payment_intent_data") or {},
            "line_items_submitted": items,
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "expires_at": _int(params.get("expires_at")) or int(time.time()) + 24 * 3600,
            "url": f"{self.url}/checkout/pay/{session_id}", "locale": params.get("locale"),
        }
        self.accounts[account_id].objects[session_id] = session
        return session

    def _create_refund(self, account_id, params):
        store = self.accounts[account_id].objects
        intent = self._find(store, params.get("payment_intent", ""), "payment_intent")
        if intent["status"] != "succeeded":
            raise StripeError(400, "invalid_request_error", "This PaymentIntent has not succeeded.")
        charge = store[intent["latest_charge"]]
        left = charge["amount"] - charge["amount_refunded"]
        amount = _int(params.get("amount")) if params.get("amount") else left
        if amount <= 0 or amount > left:
            raise StripeError(400, "invalid_request_error",
                              f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left}).",
                              code="amount_too_large")
        refund_id = self.new_id("re")
        refund = {"id": refund_id, "object": "refund", "amount": amount, "currency": charge["currency"],
                  "charge": charge["id"], "payment_intent": intent["id"], "status": "succeeded",
                  "metadata": params.get("metadata") or {}, "reason": params.get("reason")}
        store[refund_id] = refund
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        self._event(account_id, "charge.refunded", charge)
        return refund

    def _oauth(self, path, params, api_key):
        if api_key != self.platform_key:
            raise StripeError(401, "invalid_client", "Invalid API key.")
        if path == "/oauth/token":
            code = params.get("code")
            if params.get("grant_type") != "authorization_code" or code not in self.oauth_codes:
                return self._oauth_error("invalid_grant", f"Authorization code does not exist: {code}")
            account_id = self.oauth_codes.pop(code)
            self.accounts[account_id].connected = True
            token = "sk_test_oauth_" + secrets.token_hex(8)
            self.access_tokens[token] = account_id
            return {"access_token": token, "refresh_token": "rt_" + secrets.token_hex(8), "token_type": "bearer",
                    "stripe_publishable_key": "pk_test_" + secrets.token_hex(8), "stripe_user_id": account_id,
                    "scope": "read_write", "livemode": False}
        if path == "/oauth/deauthorize":
            account_id = params.get("stripe_user_id")
            if params.get("client_id") != self.client_id or account_id not in self.accounts:
                return self._oauth_error("invalid_client", "No such application connection.")
            self.accounts[account_id].connected = False
            return {"stripe_user_id": account_id}
        raise StripeError(404, "invalid_request_error", "Unrecognized OAuth URL.")

    @staticmethod
    def _oauth_error(code, description):
        error = StripeError(400, code, description)
        error.body = {"error": code, "error_description": description}
        raise error


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
