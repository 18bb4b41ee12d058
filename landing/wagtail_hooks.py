from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import Button

from .designs import DESIGNS
from .services import LandingError, switch_template, user_may_switch_template


def tenant_of_root_page(page_id):
    from site_platform.models import Tenant

    return Tenant.objects.filter(root_page_id=page_id).first()


class SwitchTemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("Design"), widget=forms.RadioSelect)

    def __init__(self, *args, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [
            (key, f"{design.label} — {design.description}") for key, design in DESIGNS.items() if key != current
        ]


class SwitchTemplateView(WagtailAdminTemplateMixin, FormView):
    """Change the design of a tenant's landing page; the content stays as it is."""

    template_name = "landing/admin/switch_template.html"
    page_title = _("Change design")
    header_icon = "desktop"
    form_class = SwitchTemplateForm

    def dispatch(self, request, page_id):
        self.tenant = tenant_of_root_page(page_id)
        # Another tenant's page, or a page that is not a landing page: nothing to see here.
        if self.tenant is None or not user_may_switch_template(request.user, self.tenant):
            raise Http404
        self.page = get_object_or_404(self.tenant.root_page.specific_class, pk=page_id)
        return super().dispatch(request, page_id)

    def get_page_subtitle(self):
        return self.page.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("wagtailadmin_pages:edit", args=[self.page.pk]), "label": self.page.title},
            {"url": "", "label": self.page_title},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "current": self.page.design}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["current_design"] = DESIGNS[self.page.design]
        context["page"] = self.page
        return context

    def form_valid(self, form):
        try:
            switch_template(self.tenant, form.cleaned_data["template"], actor=self.request.user)
        except LandingError as exc:
            form.add_error("template", exc.message)
            return self.form_invalid(form)
        messages.success(self.request, _("The design is now “%(design)s”. Your content is unchanged.") % {
            "design": DESIGNS[form.cleaned_data["template"]].label})
        return redirect("wagtailadmin_pages:edit", self.page.pk)


@hooks.register("register_admin_urls")
def landing_admin_urls():
    return [
        path("landing/<int:page_id>/design/", SwitchTemplateView.as_view(), name="landing_switch_template"),
    ]


def _switch_button(page, user, priority):
    tenant = tenant_of_root_page(page.pk)
    if tenant is None or not user_may_switch_template(user, tenant):
        return []
    return [Button(_("Change design"), url=reverse("landing_switch_template", args=[page.pk]),
                   icon_name="desktop", priority=priority)]


@hooks.register("register_page_header_buttons")
def landing_page_header_buttons(page, user, view_name=None, next_url=None):
    if page.depth != 2:  # only tenants' root pages can change design
        return []
    return _switch_button(page, user, priority=55)


@hooks.register("register_page_listing_more_buttons")
def landing_page_listing_buttons(page, user, next_url=None):
    if page.depth != 2:
        return []
    return _switch_button(page, user, priority=45)
