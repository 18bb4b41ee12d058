"""Admin screens for a student's data rights: look a student up, export, erase.

Tenant admins act on their own tenants; super admins on any.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import audit
from .admin_scoping import admin_tenants
from .data_rights import erase_student, export_student, export_student_csv, export_student_json
from .models import Tenant


def managed_tenants(user):
    tenants = admin_tenants(user)
    return Tenant.objects.all() if tenants is None else tenants


class StudentLookupForm(forms.Form):
    tenant = forms.ModelChoiceField(label=gettext_lazy("School"), queryset=Tenant.objects.none())
    email = forms.EmailField(label=gettext_lazy("Student's email"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = managed_tenants(user)
        if self.fields["tenant"].queryset.count() == 1:
            self.fields["tenant"].initial = self.fields["tenant"].queryset.get().pk

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email:
            student = get_user_model().objects.filter(email__iexact=email).first()
            if student is None:
                self.add_error("email", _("No account has this email address."))
            cleaned["student"] = student
        return cleaned


def _require_admin(request):
    if not managed_tenants(request.user).exists():
        raise PermissionDenied


def _lookup(request, data):
    form = StudentLookupForm(data, user=request.user)
    return form, (form.cleaned_data if form.is_valid() else None)


def student_data(request):
    _require_admin(request)
    form, found = _lookup(request, request.GET or None)
    summary = None
    if found:
        data = export_student(found["tenant"], found["student"])
        summary = [(name, len(records)) for name, records in data["records"].items()]
    return TemplateResponse(request, "site_platform/data_rights/student_data.html", {
        "form": form, "found": found, "summary": summary, "page_title": _("Student data"),
        "header_icon": "user",
    })


def student_data_export(request):
    _require_admin(request)
    form, found = _lookup(request, request.GET)
    if not found:
        messages.error(request, _("Choose a school and a student first."))
        return redirect("student_data")
    tenant, student = found["tenant"], found["student"]
    kind = "csv" if request.GET.get("format") == "csv" else "json"
    body = export_student_csv(tenant, student) if kind == "csv" else export_student_json(tenant, student)
    audit.record("student.exported", tenant=tenant, actor=request.user, target=f"user:{student.pk}", format=kind)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8" if kind == "csv" else "application/json")
    filename = f"{tenant.subdomain}-{slugify(student.email)}.{kind}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def student_data_erase(request):
    _require_admin(request)
    form, found = _lookup(request, request.POST if request.method == "POST" else request.GET)
    if not found:
        messages.error(request, _("Choose a school and a student first."))
        return redirect("student_data")
    tenant, student = found["tenant"], found["student"]
    if request.method == "POST":
        if request.POST.get("confirm_email", "").strip().lower() != student.email.lower():
            messages.error(request, _("Type the student's email address to confirm the erasure."))
        else:
            changed = erase_student(tenant, student, actor=request.user)
            messages.success(request, _("%(email)s's personal data at %(school)s was erased (%(count)d records). "
                                        "Payments and receipts were kept.")
                             % {"email": student.email, "school": tenant.name, "count": sum(changed.values())})
            return redirect("student_data")
    return TemplateResponse(request, "site_platform/data_rights/student_erase.html", {
        "tenant": tenant, "student": student, "page_title": _("Erase a student's data"), "header_icon": "bin",
    })


@hooks.register("register_admin_urls")
def register_student_data_urls():
    return [
        path("student-data/", student_data, name="student_data"),
        path("student-data/export/", student_data_export, name="student_data_export"),
        path("student-data/erase/", student_data_erase, name="student_data_erase"),
    ]


class StudentDataMenuItem(MenuItem):
    def is_shown(self, request):
        return managed_tenants(request.user).exists()


@hooks.register("register_settings_menu_item")
def register_student_data_menu_item():
    return StudentDataMenuItem(gettext_lazy("Student data"), reverse("student_data"), icon_name="user", order=900)
