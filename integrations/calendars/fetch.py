"""Fetching a calendar feed over HTTP: one client, bounded in time and size.

`fetch_feed` answers a FeedResponse or raises IntegrationError with a code a
teacher can read (unreachable, timeout, HTTP status, too large, address refused).
Limits come from settings when present:

- CALENDAR_FEED_TIMEOUT_SECONDS (default 15): the whole fetch, connection to last byte;
- CALENDAR_FEED_MAX_BYTES (default 2 MB): the decoded body; a larger one is cut off.
"""

import time
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings

from ..errors import IntegrationError
from .addresses import AddressRefused, normalize_feed_url, private_addresses_allowed, resolve_public

DEFAULT_TIMEOUT_SECONDS = 15
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "LinguaSites-CalendarFeed/1.0 (+busy time import)"


@dataclass
class FeedResponse:
    not_modified: bool
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""


def feed_timeout():
    return float(getattr(settings, "CALENDAR_FEED_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def feed_max_bytes():
    return int(getattr(settings, "CALENDAR_FEED_MAX_BYTES", DEFAULT_MAX_BYTES))


class _PublicAddressBackend(httpcore.SyncBackend):
    """Connects only to public addresses: the check runs on the address actually
    dialled, so DNS that changes between check and connect cannot get round it."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = resolve_public(host, port)
        return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)


def _transport(timeout):
    transport = httpx.HTTPTransport(retries=1)
    if not private_addresses_allowed():
        # httpx has no public hook for the network backend; the pool reads it on each new connection.
        transport._pool._network_backend = _PublicAddressBackend()
    return transport


def fetch_feed(url, *, etag="", last_modified=""):
    """GET the feed, conditionally when etag or last_modified is given."""
    url = normalize_feed_url(url)
    timeout = feed_timeout()
    max_bytes = feed_max_bytes()
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(
            transport=_transport(timeout), timeout=httpx.Timeout(timeout), follow_redirects=True,
            max_redirects=MAX_REDIRECTS, trust_env=False, headers=headers,
        ) as client:
            with client.stream("GET", url) as response:
                if response.status_code == 304 and (etag or last_modified):
                    return FeedResponse(not_modified=True, etag=response.headers.get("ETag", etag),
                                        last_modified=response.headers.get("Last-Modified", last_modified))
                if response.status_code != 200:
                    raise IntegrationError("feed_http_status", status=response.status_code)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise IntegrationError("feed_too_large", limit_mb=_megabytes(max_bytes))
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise IntegrationError("feed_too_large", limit_mb=_megabytes(max_bytes))
                    if time.monotonic() > deadline:
                        raise IntegrationError("feed_timeout")
                    chunks.append(chunk)
                return FeedResponse(
                    not_modified=False, body=b"".join(chunks), etag=response.headers.get("ETag", ""),
                    last_modified=response.headers.get("Last-Modified", ""),
                )
    except AddressRefused:
        raise IntegrationError("feed_address_refused") from None
    except httpx.TimeoutException:
        raise IntegrationError("feed_timeout") from None
    except httpx.UnsupportedProtocol:
        raise IntegrationError("feed_url_scheme") from None
    except httpx.InvalidURL:
        raise IntegrationError("feed_url_invalid") from None
    except (httpx.HTTPError, httpx.StreamError, OSError):
        raise IntegrationError("feed_unreachable") from None


def _megabytes(size):
    value = size / (1024 * 1024)
    return f"{value:g}" if value >= 1 else f"{value:.2f}"
