from django.utils.translation import gettext_lazy as _

from site_platform.errors import CatalogueError


class IntegrationError(CatalogueError):
    """A failure of an outside service that a user can read. `code` picks a message
    from the catalogue; `params` fill it in. Store the code and params, not the
    rendered text, so the message shows in the reader's language."""

    messages = {
        "feed_url_scheme": _("Only http://, https:// and webcal:// calendar addresses can be used."),
        "feed_url_invalid": _("This is not a valid calendar address."),
        "feed_address_refused": _("This calendar address points to a private network and cannot be used."),
        "feed_unreachable": _("The calendar server could not be reached."),
        "feed_timeout": _("The calendar server did not answer in time."),
        "feed_http_status": _("The calendar server answered with an error (HTTP %(status)s)."),
        "feed_too_large": _("The calendar is too large: the limit is %(limit_mb)s MB."),
        "feed_not_ics": _("The address did not return an ICS calendar."),
        "feed_too_many_events": _("The calendar has too many events to import (limit: %(limit)s)."),
    }
