from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import connection
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.crypto import get_random_string

from .models import Tenant


def platform_home(request):
    tenants = Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("name")
    return render(request, "site_platform/platform_home.html", {"tenants": tenants})


def _database_and_cache_checks():
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
    return checks


def _answer(checks):
    healthy = all(value in ("ok", "eager") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503)


def healthz(request):
    """Liveness: this process answers and reaches its database and cache."""
    return _answer(_database_and_cache_checks())


def readyz(request):
    """Readiness: database, cache and the task broker all answer."""
    checks = _database_and_cache_checks()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "eager"
    else:
        from .celery import app

        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {exc.__class__.__name__}"
    return _answer(checks)


def metrics(request):
    """Prometheus metrics, for a scraper holding METRICS_TOKEN (Bearer header)."""
    from .observability import metrics_text

    expected = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
    if not expected or not given or not constant_time_compare(given, expected):
        return HttpResponse("Metrics need a valid token.\n", status=401, content_type="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return HttpResponse(metrics_text(), content_type="text/plain; version=0.0.4")


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
