from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Account emails speak in the name of the site they were asked for: the
    tenant's own name on a tenant host, the platform's name elsewhere."""

    def send_mail(self, template_prefix, email, context):
        request = context.get("request") or getattr(self, "request", None)
        tenant = getattr(request, "tenant", None)
        host = request.get_host() if request is not None else settings.PLATFORM_DOMAIN
        context = {
            **context,
            "current_site": SimpleNamespace(name=tenant.name if tenant else settings.PLATFORM_NAME, domain=host),
        }
        return super().send_mail(template_prefix, email, context)

    def format_email_subject(self, subject):
        return subject
