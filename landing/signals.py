"""Keep served landing pages current.

The host map (site_platform.hosts) keeps each tenant's Site, with its root page,
in process memory and hands it to Wagtail, which serves the root page as
`site.root_page.specific`: that specific instance is cached on the in-memory
page, body and live flag included. Publishing or unpublishing a tenant's root
page therefore rebuilds the map, in every process, so the next request serves
what was just published.
"""

from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished

from site_platform import hosts


@receiver(page_published)
@receiver(page_unpublished)
def refresh_root_page(sender, instance, **kwargs):
    if instance.depth == 2:  # a tenant's root page: the one the host map holds
        hosts.invalidate()
