from django.utils.translation import gettext_lazy as _


class PlatformError(Exception):
    """A refusal a user can read. `code` picks a message from the catalogue."""

    messages = {
        "subdomain_invalid": _(
            "“%(subdomain)s” is not a valid subdomain: use 3 to 63 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit."
        ),
        "subdomain_reserved": _("“%(subdomain)s” is reserved for the platform; please choose another subdomain."),
        "subdomain_taken": _("The subdomain “%(subdomain)s” is already taken."),
        "template_unknown": _("Unknown template “%(template)s”. Choose one of: %(choices)s."),
        "name_required": _("A tenant needs a name."),
        "email_invalid": _("“%(email)s” is not a valid email address."),
        "plan_unknown": _("Unknown plan “%(plan)s”."),
        "domain_invalid": _("“%(domain)s” is not a valid domain name."),
        "domain_taken": _("The domain “%(domain)s” is already used by another site."),
    }

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        super().__init__(self.message)

    @property
    def message(self):
        return str(self.messages[self.code] % self.params)
