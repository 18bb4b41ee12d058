"""The page explorer, scoped: its filters offer only the user's own sites and people.

Wagtail already limits the pages a tenant admin can explore to their own tree
(group page permissions). Its listing filters, though, list every Site and every
page owner on the platform; these versions list only the tenant's.
"""

from django.contrib.auth import get_user_model
from django.forms import CheckboxSelectMultiple
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.pages.listing import EditedByFilter, GenericPageFilterSet, SiteFilter
from wagtail.admin.filters import MultipleUserFilter
from wagtail.admin.viewsets.pages import PageViewSet
from wagtail.models import Page, PageLogEntry, Site

from .admin_scoping import admin_tenants


def _sites(request):
    tenants = admin_tenants(request.user)
    sites = Site.objects.all()
    return sites if tenants is None else sites.filter(root_page__tenant__in=tenants)


def _people(request, user_ids):
    tenants = admin_tenants(request.user)
    users = get_user_model().objects.filter(pk__in=user_ids)
    return users if tenants is None else users.filter(memberships__tenant__in=tenants).distinct()


class TenantPageFilterSet(GenericPageFilterSet):
    site = SiteFilter(label=_("Site"), queryset=_sites, widget=CheckboxSelectMultiple)
    owner = MultipleUserFilter(
        label=_("Owner"),
        queryset=lambda request: _people(request, Page.objects.order_by().values("owner_id")),
        widget=CheckboxSelectMultiple,
    )
    edited_by = EditedByFilter(
        label=_("Edited by"),
        queryset=lambda request: _people(
            request, PageLogEntry.objects.filter(action="wagtail.edit").order_by().values("user_id")
        ),
        widget=CheckboxSelectMultiple,
    )


class TenantPageViewSet(PageViewSet):
    model = Page
    filterset_class = TenantPageFilterSet
