"""Landing page operations."""

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision, WorkflowState

from site_platform import audit, hosts
from site_platform.errors import CatalogueError

from .models import LANDING_TEMPLATES


class LandingError(CatalogueError):
    messages = {
        "template_unknown": _("Unknown template “%(template)s”."),
        "template_unchanged": _("The page already uses this template."),
        "not_a_landing_page": _("The tenant's home page is not a landing page."),
        "not_allowed": _("You may not change the template of this site."),
    }


def user_may_switch_template(user, tenant):
    """Superusers and the tenant's own admins."""
    from site_platform.models import Tenant

    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or Tenant.objects.administered_by(user).filter(pk=tenant.pk).exists()


def switch_template(tenant, new_template_key, actor=None):
    """Give the tenant's landing page another of the five page types, keeping it whole.

    The page keeps its id, tree position, URL, title, slug, SEO fields, body
    StreamField, live and draft state, revisions and history. The five types
    share one set of fields (the abstract `LandingPage`), so the type-specific
    row moves, column for column, from the old type's table to the new one's,
    and every record naming the page's type (the page itself, its revisions,
    log entries, workflow states, references) is pointed at the new type, all
    in one transaction. Returns the page as an instance of its new type.
    """
    if new_template_key not in LANDING_TEMPLATES:
        raise LandingError("template_unknown", template=new_template_key)
    if actor is not None and not user_may_switch_template(actor, tenant):
        raise LandingError("not_allowed")
    new_model = LANDING_TEMPLATES[new_template_key]
    with transaction.atomic():
        page = Page.objects.select_for_update().get(pk=tenant.root_page_id)
        old_model = page.specific_class
        if old_model not in LANDING_TEMPLATES.values():
            raise LandingError("not_a_landing_page")
        if old_model is new_model:
            raise LandingError("template_unchanged")
        old_key = next(key for key, model in LANDING_TEMPLATES.items() if model is old_model)
        _move_specific_row(page.pk, old_model, new_model)

        old_ct = ContentType.objects.get_for_model(old_model)
        new_ct = ContentType.objects.get_for_model(new_model)
        object_id = str(page.pk)
        Page.objects.filter(pk=page.pk).update(content_type=new_ct)
        for revision in Revision.page_revisions.filter(object_id=object_id).only("pk", "content"):
            content = dict(revision.content)
            content["content_type"] = new_ct.pk
            Revision.objects.filter(pk=revision.pk).update(content=content, content_type=new_ct)
        PageLogEntry.objects.filter(page_id=page.pk).update(content_type=new_ct)
        WorkflowState.objects.filter(object_id=object_id, content_type=old_ct).update(content_type=new_ct)
        ReferenceIndex.objects.filter(object_id=object_id, content_type=old_ct).update(content_type=new_ct)

        tenant.template = new_template_key
        tenant.save(update_fields=["template", "updated_at"])
        audit.record(
            "landing.template_switched", tenant=tenant, actor=actor, target=f"page:{page.pk}",
            previous=old_key, template=new_template_key,
        )
        transaction.on_commit(lambda: _reindex(page.pk))
    hosts.invalidate()
    return new_model.objects.get(pk=page.pk)


def _move_specific_row(page_id, old_model, new_model):
    """Copy the type-specific row into the new type's table, then delete the old one.

    MUST be called inside a transaction. The two models have the same concrete
    fields (both are `LandingPage`s), so the columns line up one to one.
    """
    old_columns = [field.column for field in old_model._meta.local_concrete_fields]
    new_columns = [field.column for field in new_model._meta.local_concrete_fields]
    if sorted(old_columns) != sorted(new_columns):
        raise RuntimeError(f"{old_model.__name__} and {new_model.__name__} do not share their fields")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in new_columns)
    pk_column = quote(new_model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(new_model._meta.db_table)} ({columns}) "
            f"SELECT {columns} FROM {quote(old_model._meta.db_table)} WHERE {pk_column} = %s",
            [page_id],
        )
        if cursor.rowcount != 1:
            raise RuntimeError(f"page {page_id} has no {old_model.__name__} row")
        cursor.execute(f"DELETE FROM {quote(old_model._meta.db_table)} WHERE {pk_column} = %s", [page_id])


def _reindex(page_id):
    from wagtail.search import index

    page = Page.objects.get(pk=page_id).specific
    for backend_entry in _old_index_entries(page_id):
        backend_entry.delete()
    index.insert_or_update_object(page)


def _old_index_entries(page_id):
    """Search index rows of the page under one of the other landing types."""
    try:
        from wagtail.search.models import IndexEntry
    except ImportError:  # a search backend without database rows
        return []
    current = Page.objects.filter(pk=page_id).values_list("content_type_id", flat=True).first()
    types = [ContentType.objects.get_for_model(model).pk for model in LANDING_TEMPLATES.values()]
    return list(IndexEntry.objects.filter(object_id=str(page_id), content_type_id__in=types)
                .exclude(content_type_id=current))
