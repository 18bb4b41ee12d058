"""Where webhooks may be sent: HTTPS addresses that resolve to public IP addresses only.

Tenants type these addresses in and the platform's workers POST to them, so an
address resolving to a loopback, private, link-local or otherwise non-public
address is refused when the endpoint is saved and again on every connection (the
check runs on the address actually dialled, so a DNS answer that changes between
the check and the connection cannot get round it). Redirects are not followed.

settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True (default False) lifts the
check and also allows http:// (tests and local development, with a receiver on
the same machine).
"""

import socket
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

from integrations.calendars.addresses import AddressRefused, is_public_address

from .errors import WebhookError


def private_addresses_allowed():
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False))


def resolve(host, port):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookError("host_unknown", host=host) from None
    return [info[4][0] for info in infos]


def check_url(url):
    """Raise WebhookError unless `url` is one the platform may POST to. Returns the cleaned URL."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookError("url_invalid", url=url) from None
    allow_private = private_addresses_allowed()
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        raise WebhookError("url_not_https")
    if not parts.hostname:
        raise WebhookError("url_invalid", url=url)
    if parts.username or parts.password:
        raise WebhookError("url_credentials")
    if not allow_private:
        addresses = resolve(parts.hostname, port or 443)
        if not addresses or not all(is_public_address(a) for a in addresses):
            raise WebhookError("address_refused", host=parts.hostname)
    return url


class _PublicAddressBackend(httpcore.SyncBackend):
    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = resolve(host, port)
        if not addresses or not all(is_public_address(a) for a in addresses):
            raise AddressRefused(host)
        return super().connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


def client(timeout):
    """An httpx client that never follows redirects and, unless allowed, dials public addresses only."""
    transport = httpx.HTTPTransport(retries=0)
    if not private_addresses_allowed():
        # httpx has no public hook for the network backend; the pool reads it on each new connection.
        transport._pool._network_backend = _PublicAddressBackend()
    return httpx.Client(transport=transport, timeout=httpx.Timeout(timeout), follow_redirects=False,
                        trust_env=False)
