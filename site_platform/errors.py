from django.utils.translation import gettext_lazy as _


class CatalogueError(Exception):
    """The base of each app's one error type: a refusal a user can read.

    `code` picks a message from the subclass's `messages` catalogue; keyword
    arguments fill it in and stay on `params`. Store code and params rather than
    the text, so a message can be shown later in the reader's language.
    """

    messages = {}

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        super().__init__(self.message)

    @classmethod
    def render(cls, code, params=None):
        template = cls.messages.get(code)
        if template is None:
            return ""
        return str(template % params) if params else str(template)

    @property
    def message(self):
        return self.render(self.code, self.params)


class PlatformError(CatalogueError):
    """A refusal of the platform's own operations (tenants, members)."""

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
