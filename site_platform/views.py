from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.crypto import get_random_string

from .models import Tenant


def platform_home(request):
    tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("name")
    return render(request, "site_platform/platform_home.html", {"tenants": tenants})


def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"; say which
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        probe = get_random_string(12)
        cache.set("healthz-probe", probe, timeout=10)
        checks["cache"] = "ok" if cache.get("healthz-probe") == probe else "error: value not read back"
    except Exception as exc:
        checks["cache"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503)


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The link in an invitation email: set a password, prove the email address."""

    template_name = "site_platform/invitation_accept.html"
    success_url = reverse_lazy("invitation_done")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def form_valid(self, form):
        from allauth.account.models import EmailAddress

        response = super().form_valid(form)
        EmailAddress.objects.update_or_create(
            user=form.user, email__iexact=form.user.email,
            defaults={"email": form.user.email, "verified": True, "primary": True},
        )
        return response


class InvitationDoneView(auth_views.PasswordResetCompleteView):
    template_name = "site_platform/invitation_done.html"
