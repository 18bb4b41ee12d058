from django.utils.translation import gettext_lazy as _

from site_platform.errors import CatalogueError


class WebhookError(CatalogueError):
    """A refusal a tenant admin can read. `code` picks a message from the catalogue."""

    messages = {
        "url_invalid": _("“%(url)s” is not a valid web address."),
        "url_not_https": _("Webhook addresses must start with https://."),
        "url_credentials": _("Put no user name or password in the address; verify our signature instead."),
        "address_refused": _("“%(host)s” points to a private, loopback or link-local address, which the platform "
                             "does not send webhooks to."),
        "host_unknown": _("“%(host)s” cannot be found (DNS)."),
        "events_required": _("Choose at least one event."),
        "event_unknown": _("Unknown event “%(event)s”."),
        "endpoint_disabled": _("This endpoint is disabled; enable it first."),
    }
