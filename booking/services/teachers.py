"""Who may teach in a tenant: a user with an active admin or teacher membership."""

from django.contrib.auth import get_user_model

from site_platform.models import Membership

from ..errors import BookingError

TEACHING_ROLES = (Membership.Role.TEACHER, Membership.Role.ADMIN)


def teachers_of(tenant):
    return get_user_model().objects.filter(
        memberships__tenant=tenant, memberships__is_active=True, memberships__role__in=TEACHING_ROLES,
    ).distinct().order_by("first_name", "last_name", "email")


def teachers_of_any(tenants):
    """Teachers of any of these tenants (a queryset of tenants)."""
    return get_user_model().objects.filter(
        memberships__tenant__in=tenants, memberships__is_active=True, memberships__role__in=TEACHING_ROLES,
    ).distinct().order_by("first_name", "last_name", "email")


def is_teacher(tenant, user):
    return Membership.objects.filter(
        tenant=tenant, user=user, is_active=True, role__in=TEACHING_ROLES,
    ).exists()


def require_teacher(tenant, user):
    """Raise BookingError("not_a_teacher") unless the user teaches in the tenant."""
    if user is None or not is_teacher(tenant, user):
        raise BookingError("not_a_teacher", user=user or "—", tenant=tenant)
    return user


def teacher_timezone(tenant, user, default="UTC"):
    zone = Membership.objects.filter(tenant=tenant, user=user).values_list("timezone", flat=True).first()
    return zone or default
