"""Keep served landing pages current: the host map and the page cache.

The host map (site_platform.hosts) keeps each tenant's Site in process memory and,
with it, the root page's published field values, whether anything restricts viewing
it, its menu pages and the branding (landing/site_memo.py), from which every request
gets instances of its own. Publishing, unpublishing, moving or deleting the root page
or one of its children, changing a view restriction, or saving the branding therefore
rebuilds the map, in every process, so the next request serves what just changed.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from booking import signals as booking_signals
from site_platform import hosts

from . import cache as page_cache


@receiver(page_published)
@receiver(page_unpublished)
def refresh_root_page(sender, instance, **kwargs):
    if instance.depth in (2, 3):  # a tenant's root page or a page of its menu: the host map holds them
        hosts.invalidate()


@receiver(post_page_move)
def refresh_after_move(sender, instance, **kwargs):
    hosts.invalidate()  # into or out of a menu, or a root page's path


@receiver(post_delete, sender=Page)
def refresh_after_delete(sender, instance, **kwargs):
    if instance.depth in (2, 3):
        hosts.invalidate()


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def refresh_after_privacy_change(sender, instance, **kwargs):
    # Whether the root page is restricted, and which menu pages are public, are in
    # the host map; a page made private must not stay in the page cache either.
    hosts.invalidate()
    page = Page.objects.filter(pk=instance.page_id).only("path", "depth").first()
    if page is not None:
        page_cache.purge(tenant_of_page(page))


# The page cache (landing/cache.py): forget a tenant's cached pages when what they show changes.

def tenant_of_page(page):
    """The id of the tenant whose site holds the page (its depth-2 ancestor is the root)."""
    from site_platform.models import Tenant

    if page.depth < 2:
        return None
    return Tenant.objects.filter(root_page__path=page.path[:Page.steplen * 2]).values_list("pk", flat=True).first()


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
def purge_on_page_change(sender, instance, **kwargs):
    page_cache.purge(tenant_of_page(instance))


@receiver(post_delete, sender=Page)
def purge_on_page_delete(sender, instance, **kwargs):
    page_cache.purge(tenant_of_page(instance))


@receiver(post_save, sender="landing.BrandingSettings")
def purge_on_branding_change(sender, instance, created=False, **kwargs):
    from site_platform.models import Tenant

    if created:  # Wagtail makes the row with its defaults the first time a page asks for it: nothing changed
        return
    hosts.invalidate()  # the host map keeps the branding (landing/site_memo.py)
    page_cache.purge(Tenant.objects.filter(root_page_id=instance.site.root_page_id).values_list("pk", flat=True).first())


@receiver(post_delete, sender="landing.BrandingSettings")
def refresh_after_branding_delete(sender, instance, **kwargs):
    hosts.invalidate()


@receiver(post_save, sender="site_platform.Tenant")
def purge_on_tenant_change(sender, instance, **kwargs):
    page_cache.purge(instance.pk)


@receiver(post_save, sender="booking.EventType")
@receiver(post_delete, sender="booking.EventType")
@receiver(post_save, sender="booking.Session")
@receiver(post_delete, sender="booking.Session")
def purge_on_booking_row_change(sender, instance, **kwargs):
    page_cache.purge(instance.tenant_id)


@receiver(booking_signals.booking_created)
@receiver(booking_signals.booking_confirmed)
@receiver(booking_signals.booking_cancelled)
@receiver(booking_signals.booking_rescheduled)
@receiver(booking_signals.waitlist_offered)
def purge_on_seats_change(sender, tenant_id=None, **kwargs):
    page_cache.purge(tenant_id)


@receiver(booking_signals.sessions_created)
@receiver(booking_signals.sessions_changed)
@receiver(booking_signals.session_cancelled)
def purge_on_sessions_change(sender, tenant=None, **kwargs):
    page_cache.purge(getattr(tenant, "pk", tenant))
