import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from site_platform.models import TenantOwnedQuerySet


@lru_cache(maxsize=1)
def timezone_names():
    return frozenset(zoneinfo.available_timezones())


def timezone_choices():
    return [(name, name) for name in sorted(timezone_names())]


def validate_timezone(value):
    if value not in timezone_names():
        raise ValidationError(_("“%(zone)s” is not a known time zone (use a name like Europe/London)."),
                              params={"zone": value}, code="timezone_unknown")


class TimeZoneField(models.CharField):
    """An IANA time zone name, validated against zoneinfo."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("default", "UTC")
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from django import forms
        from django.utils.text import capfirst

        return forms.ChoiceField(
            choices=timezone_choices, required=not self.blank, label=capfirst(self.verbose_name),
            initial=self.default, help_text=self.help_text,
        )

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        validate_timezone(value)


class TenantOwned(models.Model):
    """Abstract base: a row of one tenant, reached through `objects.for_tenant(t)`."""

    tenant = models.ForeignKey("site_platform.Tenant", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("tenant"))

    objects = TenantOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class TenantOwnedChild(TenantOwned):
    """A row that belongs to a parent row of the same tenant; its tenant is the parent's.

    Subclasses name the parent in `parent_field`; admin inline forms never show the tenant.
    """

    parent_field = None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        parent = getattr(self, self.parent_field)
        self.tenant_id = parent.tenant_id
        super().save(*args, **kwargs)
