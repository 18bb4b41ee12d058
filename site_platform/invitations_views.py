"""The invitation link: /invitations/<token>/.

Shows the school and the role. Signed in as the invited email: an Accept button.
An invitee with an account: sign in first (the link is the `next`). A new person:
a set-password form that creates the account and accepts in one step. The views
parse and render; `services.invitations` decides.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .errors import PlatformError
from .services import invitations as invitation_service


class SetPasswordForm(forms.Form):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    password1 = forms.CharField(label=gettext_lazy("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=gettext_lazy("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email=None, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class InvitationView(View):
    template_name = "site_platform/invitations/accept.html"
    refused_template_name = "site_platform/invitations/refused.html"

    def dispatch(self, request, token):
        self.token = token
        self.invitation = invitation_service.find(token)
        try:
            invitation_service.check_usable(self.invitation)
        except PlatformError as error:
            return self.refused(error)
        return super().dispatch(request, token)

    def refused(self, error):
        status = 404 if error.code == "invalid" else 410
        return render(self.request, self.refused_template_name, {"message": error.message}, status=status)

    def context(self, **extra):
        user = self.request.user
        invitation = self.invitation
        signed_in_as_invitee = user.is_authenticated and user.email.lower() == invitation.email.lower()
        needs_password = invitation_service.needs_password(invitation)
        here = self.request.get_full_path()
        return {
            "invitation": invitation, "tenant": invitation.tenant, "signed_in_as_invitee": signed_in_as_invitee,
            "needs_password": needs_password and not user.is_authenticated,
            "login_url": reverse("account_login") + "?" + urlencode({"next": here}),
            "logout_url": reverse("account_logout"), **extra,
        }

    def get(self, request, token):
        form = SetPasswordForm(email=self.invitation.email)
        return render(request, self.template_name, self.context(form=form))

    def post(self, request, token):
        user = request.user
        if user.is_authenticated:
            try:
                invitation_service.accept(token, user)
            except PlatformError as error:
                return render(request, self.template_name, self.context(error=error.message), status=400)
            return self.welcome()
        if not invitation_service.needs_password(self.invitation):
            return redirect(self.context()["login_url"])
        form = SetPasswordForm(request.POST, email=self.invitation.email)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form=form), status=400)
        try:
            user = invitation_service.accept_with_password(
                token, form.cleaned_data["password1"], first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"])
        except PlatformError as error:
            return render(request, self.template_name, self.context(form=form, error=error.message), status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return self.welcome()

    def welcome(self):
        messages.success(self.request, _("Welcome to %(school)s.") % {"school": self.invitation.tenant.name})
        return redirect("wagtailadmin_home")
