"""Who an email goes to, in which language and which time zone.

Language, first that is set: the user's own preference (Wagtail's user profile,
which the admin and account pages edit), the language the student was using
when they booked (`BookingLanguage`, captured from the request when the booking
is announced), the site default.
Time zone: the teacher's zone on the tenant (membership) for teachers; for
students their profile's zone, else the teacher's zone, where the class takes
place. Every email names the zone its times are in; the ICS is in UTC, so a
calendar shows the student's own local time.
"""

import zoneinfo
from dataclasses import dataclass

from django.conf import settings

from booking.models.common import timezone_names


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str
    zone: zoneinfo.ZoneInfo
    user_id: int | None = None

    @property
    def zone_name(self):
        return self.zone.key


def language_code(value):
    """`value` as one of settings.LANGUAGES ("vi-VN" → "vi"), or "" if none matches."""
    if not value:
        return ""
    value = str(value).lower()
    codes = {code for code, _name in settings.LANGUAGES}
    if value in codes:
        return value
    base = value.split("-")[0]
    return base if base in codes else ""


def _zone(value):
    return zoneinfo.ZoneInfo(value) if value and value in timezone_names() else None


def _profile(user):
    from wagtail.users.models import UserProfile

    if user is None:
        return None
    return UserProfile.objects.filter(user=user).only("preferred_language", "current_time_zone").first()


def teacher_zone(tenant, teacher):
    from site_platform.models import Membership

    zone = Membership.objects.filter(tenant=tenant, user=teacher).values_list("timezone", flat=True).first()
    return _zone(zone)


def teacher_recipient(tenant, teacher):
    profile = _profile(teacher)
    language = language_code(profile.preferred_language if profile else "") or settings.LANGUAGE_CODE
    zone = (teacher_zone(tenant, teacher) or _zone(profile.current_time_zone if profile else "")
            or zoneinfo.ZoneInfo("UTC"))
    return Recipient(email=teacher.email, name=str(teacher), language=language, zone=zone, user_id=teacher.pk)


def student_recipient(*, user, email, tenant, teacher, booked_language=""):
    """The student of a booking or waitlist entry."""
    profile = _profile(user)
    language = (language_code(profile.preferred_language if profile else "")
                or language_code(booked_language)
                or settings.LANGUAGE_CODE)
    zone = (_zone(profile.current_time_zone if profile else "")
            or teacher_zone(tenant, teacher)
            or zoneinfo.ZoneInfo("UTC"))
    name = (user.get_full_name() if user is not None else "") or ""
    return Recipient(email=email, name=name, language=language, zone=zone,
                     user_id=user.pk if user is not None else None)
