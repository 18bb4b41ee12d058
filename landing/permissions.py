"""Who may edit a tenant's branding settings.

Wagtail's `SitePermissionPolicy` treats a model permission held through a group
(`landing.change_brandingsettings`) as permission for *every* site. Tenant
admins get that permission from their tenant's admin group (the model declares
`tenant_admin_permissions`), so here it means "for the sites of the tenants you
administer": the settings menu, the edit view, the site switcher and the
preview all go through this policy. Superusers may edit every site; a
per-site grant (`GroupSitePermission`) still works as in Wagtail.
"""

from django.conf import settings
from django.db.models import Q
from wagtail.models import Site
from wagtail.permission_policies.sites import SitePermissionPolicy


def tenant_sites(user):
    """The primary sites (`<subdomain>.<PLATFORM_DOMAIN>`) of the tenants the user administers."""
    from site_platform.models import Tenant

    tenants = Tenant.objects.administered_by(user)
    hostnames = [f"{subdomain}.{settings.PLATFORM_DOMAIN}" for subdomain in tenants.values_list("subdomain", flat=True)]
    return Site.objects.filter(hostname__in=hostnames, root_page__tenant__in=tenants)


class TenantSitePermissionPolicy(SitePermissionPolicy):
    def _site_specific_ids(self, user, actions):
        codenames = self._get_permission_codenames(actions)
        return {
            grant.site_id
            for grant in self.get_cached_permissions_for_user(user)
            if grant.permission.content_type_id == self._content_type.pk and grant.permission.codename in codenames
        }

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        site_id = instance.pk if isinstance(instance, Site) else getattr(instance, self.site_fk_field_name)
        if site_id in self._site_specific_ids(user, actions):
            return True
        return self._user_has_global_permission(user, actions) and tenant_sites(user).filter(pk=site_id).exists()

    def sites_user_has_any_permission_for(self, user, actions):
        if not (user.is_authenticated and user.is_active):
            return Site.objects.none()
        if user.is_superuser:
            return Site.objects.all()
        condition = Q(pk__in=self._site_specific_ids(user, actions))
        if self._user_has_global_permission(user, actions):
            condition |= Q(pk__in=tenant_sites(user).values("pk"))
        return Site.objects.filter(condition).order_by("hostname")
