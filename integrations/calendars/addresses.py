"""Calendar addresses: which ones may be fetched.

Only http(s) (and webcal://, the same thing under another name) is accepted.
The server fetches addresses that tenants type in, so by default it refuses
any that resolve to a loopback, private, link-local or otherwise non-public
address (checked on every connection, redirects included), so a feed cannot
be used to probe the platform's own network. Set
CALENDAR_FEEDS_ALLOW_PRIVATE_ADDRESSES = True to allow them (tests and local
development with a calendar server on the same machine).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from ..errors import IntegrationError

ALLOWED_SCHEMES = {"http", "https", "webcal", "webcals"}


def normalize_feed_url(url):
    """The address to fetch: webcal(s):// becomes https://. Raises IntegrationError when unusable."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise IntegrationError("feed_url_invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise IntegrationError("feed_url_scheme")
    if not parts.hostname:
        raise IntegrationError("feed_url_invalid")
    if scheme in {"webcal", "webcals"}:
        url = "https" + url[len(parts.scheme):]
    return url


def validate_feed_url(value):
    try:
        normalize_feed_url(value)
    except IntegrationError as exc:
        raise ValidationError(exc.message, code=exc.code) from None


def private_addresses_allowed():
    return bool(getattr(settings, "CALENDAR_FEEDS_ALLOW_PRIVATE_ADDRESSES", False))


class AddressRefused(Exception):
    """The host resolves to an address the platform does not fetch from."""


def is_public_address(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_public(host, port):
    """The first address of host, refusing (AddressRefused) if any address is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc}") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise AddressRefused(host)
    return addresses[0]
