"""Tenant operations: create a tenant with everything it needs, in one transaction."""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Site

from .. import audit, usage
from ..errors import PlatformError
from ..models import Membership, Plan, Tenant

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"]
COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"), ("wagtailimages", "change_image"), ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"), ("wagtaildocs", "change_document"), ("wagtaildocs", "choose_document"),
]


def validate_subdomain(subdomain):
    subdomain = (subdomain or "").strip().lower()
    if not SUBDOMAIN_RE.match(subdomain) or "--" in subdomain:
        raise PlatformError("subdomain_invalid", subdomain=subdomain)
    if subdomain in settings.RESERVED_SUBDOMAINS:
        raise PlatformError("subdomain_reserved", subdomain=subdomain)
    if Tenant.objects.filter(subdomain=subdomain).exists() or Site.objects.filter(
        hostname=f"{subdomain}.{settings.PLATFORM_DOMAIN}"
    ).exists():
        raise PlatformError("subdomain_taken", subdomain=subdomain)
    return subdomain


def validate_custom_domain(domain, *, tenant=None):
    domain = (domain or "").strip().lower().rstrip(".")
    if not DOMAIN_RE.match(domain) or domain.endswith("." + settings.PLATFORM_DOMAIN):
        raise PlatformError("domain_invalid", domain=domain)
    clash = Site.objects.filter(hostname=domain)
    if tenant is not None:
        clash = clash.exclude(root_page_id=tenant.root_page_id)
    if clash.exists() or Tenant.objects.filter(custom_domain=domain).exclude(pk=getattr(tenant, "pk", None)).exists():
        raise PlatformError("domain_taken", domain=domain)
    return domain


def landing_templates():
    from landing.models import LANDING_TEMPLATES

    return LANDING_TEMPLATES


def _admin_permissions():
    return list(
        Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    )


def create_tenant(*, name, subdomain, template, admin_email, plan=None, custom_domain=None,
                  status=Tenant.Status.ACTIVE, actor=None, send_invitation=True):
    """Create a tenant with its Site, landing page, collection, admin group and admin.

    Everything is created in one transaction: a refusal (PlatformError) leaves no row behind.
    The invitation email is sent after commit.
    """
    name = (name or "").strip()
    if not name:
        raise PlatformError("name_required")
    subdomain = validate_subdomain(subdomain)
    templates = landing_templates()
    if template not in templates:
        raise PlatformError("template_unknown", template=template, choices=", ".join(templates))
    admin_email = (admin_email or "").strip().lower()
    try:
        validate_email(admin_email)
    except ValidationError:
        raise PlatformError("email_invalid", email=admin_email) from None
    if isinstance(plan, str):
        try:
            plan = Plan.objects.get(code=plan)
        except Plan.DoesNotExist:
            raise PlatformError("plan_unknown", plan=plan) from None
    if custom_domain:
        custom_domain = validate_custom_domain(custom_domain)

    with transaction.atomic():
        page_class = templates[template]
        landing = page_class(
            title=name,
            slug=subdomain,
            body=[
                ("hero", {"title": name, "subtitle": _("Welcome! Browse our classes and book your place."),
                          "cta_text": _("See classes"), "cta_link": "#classes"}),
            ],
        )
        Page.get_first_root_node().add_child(instance=landing)
        landing.save_revision().publish()

        collection = Collection.get_first_root_node().add_child(name=f"{name} ({subdomain})")
        site = Site.objects.create(
            hostname=f"{subdomain}.{settings.PLATFORM_DOMAIN}",
            port=settings.PLATFORM_PORT,
            root_page=landing,
            site_name=name,
            is_default_site=False,
        )
        if custom_domain:
            Site.objects.create(hostname=custom_domain, port=443, root_page=landing, site_name=name)

        admin_group = Group.objects.create(name=f"{subdomain}: admins")
        teacher_group = Group.objects.create(name=f"{subdomain}: teachers")
        access_admin = _admin_permissions()
        admin_group.permissions.add(*access_admin, *tenant_admin_model_permissions())
        teacher_group.permissions.add(*access_admin)
        for codename in PAGE_PERMISSIONS:
            GroupPagePermission.objects.create(
                group=admin_group, page=landing, permission=Permission.objects.get(
                    content_type__app_label="wagtailcore", codename=codename)
            )
        for app_label, codename in COLLECTION_PERMISSIONS:
            perm = Permission.objects.get(content_type__app_label=app_label, codename=codename)
            GroupCollectionPermission.objects.create(group=admin_group, collection=collection, permission=perm)
            if codename.startswith("choose_"):
                GroupCollectionPermission.objects.create(group=teacher_group, collection=collection, permission=perm)

        tenant = Tenant.objects.create(
            name=name, subdomain=subdomain, custom_domain=custom_domain or None, status=status, plan=plan,
            template=template, root_page=landing, collection=collection, admin_group=admin_group,
            teacher_group=teacher_group,
        )
        admin, _created = add_member(tenant, admin_email, Membership.Role.ADMIN, actor=actor)
        audit.record("tenant.created", tenant=tenant, actor=actor, target=f"tenant:{tenant.pk}",
                     subdomain=subdomain, template=template, admin=admin_email, site=site.pk)
        if send_invitation:
            from ..tasks import send_tenant_invitation as invitation_task

            invitation_task.delay_on_commit(tenant.pk, admin.pk)
    return tenant


def tenant_admin_model_permissions():
    """Model permissions a tenant admin holds on tenant-owned models (those that
    declare `tenant_admin_permissions`); the admin screens still show only the
    rows of the admin's own tenants."""
    from django.apps import apps

    perms = []
    for model in apps.get_models():
        actions = getattr(model, "tenant_admin_permissions", ())
        if actions:
            perms.extend(Permission.objects.filter(
                content_type__app_label=model._meta.app_label,
                codename__in=[f"{action}_{model._meta.model_name}" for action in actions],
            ))
    return perms


def add_member(tenant, email, role, *, actor=None, timezone="UTC"):
    """Give an account (created if new) a role in the tenant, re-activating a membership
    that was deactivated. Returns (user, created). Raises PlanLimitError when a new teacher
    would pass the plan's teacher limit: the tenant's row is locked before counting, so two
    admins adding the last teacher at the same moment make exactly one (the same lock as
    accepting an invitation)."""
    from allauth.account.models import EmailAddress

    User = get_user_model()
    email = email.strip().lower()
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).values_list("pk", flat=True).first()
        user = User.objects.filter(email__iexact=email).first()
        if role == Membership.Role.TEACHER:
            usage.check_teacher_limit(tenant, user)
        created = user is None
        if created:
            user = User.objects.create_user(email=email)
            user.set_unusable_password()
            user.save(update_fields=["password"])
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        Membership.objects.update_or_create(
            tenant=tenant, user=user,
            defaults={"role": role, "is_active": True, "deactivated_at": None, "timezone": timezone},
        )
        group = tenant.admin_group if role == Membership.Role.ADMIN else tenant.teacher_group
        if group is not None:
            user.groups.add(group)
        audit.record("membership.added", tenant=tenant, actor=actor, target=f"user:{user.pk}", role=role,
                     email=email)
    return user, created


def invitation_url(tenant, user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invitation_accept", kwargs={"uidb64": uid, "token": token}, urlconf=settings.ROOT_URLCONF)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def send_tenant_invitation(tenant_id, user_id):
    tenant = Tenant.objects.get(pk=tenant_id)
    user = get_user_model().objects.get(pk=user_id)
    context = {
        "tenant": tenant,
        "user": user,
        "set_password_url": invitation_url(tenant, user) if not user.has_usable_password() else None,
        "admin_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/admin/",
        "site_url": tenant.root_url,
        "platform_name": settings.PLATFORM_NAME,
    }
    subject = _("You are the admin of %(name)s on %(platform)s") % {"name": tenant.name, "platform": settings.PLATFORM_NAME}
    send_mail(
        subject,
        render_to_string("emails/tenant_invitation.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        html_message=render_to_string("emails/tenant_invitation.html", context),
    )


def update_tenant(tenant, *, name, custom_domain, actor=None):
    """Change a tenant's name or custom domain; the custom domain's Site (a second Site on
    the same root page) follows in the same transaction. Neither the status nor the plan
    changes here: only the confirmed, audited actions of `services.lifecycle` do that
    (`apply_action`, `change_plan`)."""
    name = (name or "").strip()
    if not name:
        raise PlatformError("name_required")
    custom_domain = validate_custom_domain(custom_domain, tenant=tenant) if custom_domain else None
    with transaction.atomic():
        current = Tenant.objects.select_for_update().get(pk=tenant.pk)
        changed = [field for field, value in (("name", name), ("custom_domain", custom_domain))
                   if getattr(current, field) != value]
        if current.custom_domain != custom_domain:
            if current.custom_domain:
                Site.objects.filter(hostname=current.custom_domain, root_page_id=current.root_page_id).delete()
            if custom_domain:
                Site.objects.create(hostname=custom_domain, port=443, root_page_id=current.root_page_id, site_name=name)
        current.name, current.custom_domain = name, custom_domain
        current.save(update_fields=["name", "custom_domain", "updated_at"])
        Site.objects.filter(root_page_id=current.root_page_id).update(site_name=name)
        audit.record("tenant.updated", tenant=current, actor=actor, target=f"tenant:{current.pk}", changed=changed,
                     custom_domain=custom_domain)
    tenant.name, tenant.custom_domain, tenant.status = name, custom_domain, current.status
    tenant.plan_id = current.plan_id
    return tenant


def set_tenant_status(tenant, status, *, actor=None):
    """Set a status directly (management commands and tests). The super admin's screens go
    through `services.lifecycle.apply_action`, which also checks the status it leaves."""
    old = tenant.status
    with transaction.atomic():
        tenant.status = status
        tenant.status_changed_at = dj_timezone.now()
        tenant.save(update_fields=["status", "status_changed_at", "updated_at"])
        audit.record(f"tenant.{status}", tenant=tenant, actor=actor, target=f"tenant:{tenant.pk}", previous=old)
    return tenant
