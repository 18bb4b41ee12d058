"""Admin screens of invitations, under School: pending, accepted, expired and
revoked invitations; Invite (the add form), Resend and Revoke. Tenant-scoped: a
tenant admin sees and acts on their own tenants' invitations only (others: 404)."""

import django_filters
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic

from .admin_scoping import ScopedListingMixin, TenantScopedModelViewSet, scope_queryset
from .errors import PlatformError
from .models import Invitation
from .services import invitations as invitation_service

ERROR_FIELDS = {"email_invalid": "email", "already_member": "email", "already_invited": "email",
                "role_invalid": "role", "teachers": "role"}


class StateFilter(django_filters.ChoiceFilter):
    def filter(self, queryset, value):
        now = timezone.now()
        if value == Invitation.State.PENDING:
            return queryset.pending(now)
        if value == Invitation.State.ACCEPTED:
            return queryset.filter(accepted_at__isnull=False)
        if value == Invitation.State.REVOKED:
            return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
        if value == Invitation.State.EXPIRED:
            return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
        return queryset


class InvitationFilterSet(WagtailFilterSet):
    state = StateFilter(label=gettext_lazy("State"), choices=Invitation.State.choices)

    class Meta:
        model = Invitation
        fields = ["state", "role"]


class StateColumn(Column):
    def get_value(self, instance):
        return instance.get_state_display()


class InvitationIndexView(ScopedListingMixin, generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("tenant", "invited_by")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.accepted_at is None and instance.revoked_at is None:
            prefix = self.index_url_name.rsplit(":", 1)[0]
            buttons.append(MenuItem(_("Resend"), url=reverse(f"{prefix}:resend", args=[instance.pk]),
                                    icon_name="mail", priority=40))
            buttons.append(MenuItem(_("Revoke"), url=reverse(f"{prefix}:revoke", args=[instance.pk]),
                                    icon_name="cross", priority=41))
        return buttons


class InviteView(generic.CreateView):
    """The add form: the invite service makes the invitation and sends the email."""

    def form_valid(self, form):
        self.form = form
        data = form.cleaned_data
        try:
            self.object = invitation_service.invite(data["tenant"], data["email"], data.get("name", ""),
                                                    data["role"], self.request.user)
        except PlatformError as error:
            field = ERROR_FIELDS.get(error.code)
            form.add_error(field if field in form.fields else None, error.message)
            self.produced_error_code = "validation_error"
            self.produced_error_message = error.message
            return self.form_invalid(form)
        return self.save_action()

    def get_success_message(self, instance=None):
        return _("Invitation sent to %(email)s.") % {"email": self.object.email}


class InvitationActionView(View):
    """GET asks, POST (with the CSRF token) resends or revokes. Scoped: another tenant's id is 404."""

    template_name = "site_platform/invitations/admin_action.html"
    viewset = None
    action = None

    def dispatch(self, request, pk):
        if not self.viewset.permission_policy.user_has_permission(request.user, "add"):
            raise PermissionDenied
        self.invitation = scope_queryset(Invitation.objects.select_related("tenant"), request.user).filter(
            pk=pk).first()
        if self.invitation is None:
            raise Http404
        return super().dispatch(request, pk)

    def get(self, request, pk):
        question = (_("Send %(email)s a new link? The previous link stops working.") if self.action == "resend"
                    else _("Withdraw the invitation of %(email)s? Its link stops working."))
        return TemplateResponse(request, self.template_name, {
            "page_title": _("Resend invitation") if self.action == "resend" else _("Revoke invitation"),
            "header_icon": "mail", "intro": question % {"email": self.invitation.email},
            "submit": _("Resend") if self.action == "resend" else _("Revoke"),
            "back_url": reverse(self.viewset.get_url_name("index")),
        })

    def post(self, request, pk):
        try:
            if self.action == "resend":
                invitation_service.resend(self.invitation, request.user)
                messages.success(request, _("A new link was sent to %(email)s.") % {"email": self.invitation.email})
            elif invitation_service.revoke(self.invitation, request.user):
                messages.success(request, _("The invitation of %(email)s was revoked.") % {
                    "email": self.invitation.email})
            else:
                messages.warning(request, _("This invitation is no longer pending."))
        except PlatformError as error:
            messages.error(request, error.message)
        return redirect(self.viewset.get_url_name("index"))


class InvitationViewSet(TenantScopedModelViewSet):
    name = "invitations"
    model = Invitation
    icon = "mail"
    menu_label = gettext_lazy("Invitations")
    index_view_class = InvitationIndexView
    add_view_class = InviteView
    list_display = ["email", "name", "role", StateColumn("state", label=gettext_lazy("State")),
                    DateColumn("created_at", label=gettext_lazy("Invited")),
                    DateColumn("expires_at", label=gettext_lazy("Expires")), "invited_by", "tenant"]
    filterset_class = InvitationFilterSet
    search_fields = ["email", "name"]
    panels = [FieldPanel("tenant"), FieldPanel("email"), FieldPanel("name"), FieldPanel("role")]
    edit_view_enabled = False
    delete_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["email", "name", "role", "tenant", "invited_by", "created_at", "sent_at", "expires_at",
                           "accepted_at", "accepted_by", "revoked_at"]

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/resend/", InvitationActionView.as_view(viewset=self, action="resend"), name="resend"),
            path("<int:pk>/revoke/", InvitationActionView.as_view(viewset=self, action="revoke"), name="revoke"),
        ]
