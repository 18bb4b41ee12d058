from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Site

from . import hosts
from .models import Tenant


@receiver([post_save, post_delete], sender=Tenant)
@receiver([post_save, post_delete], sender=Site)
def invalidate_host_map(sender, **kwargs):
    hosts.invalidate()
