"""Student-facing booking forms. They shape input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _


class BookingForm(forms.Form):
    """Seats (when more than one may be booked) and the event type's questions.
    `answers()` gives {question label: answer} for `create_booking`."""

    def __init__(self, *args, event_type, show_seats=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.event_type = event_type
        most = 1 if event_type.is_one_on_one else event_type.max_seats_per_booking
        if show_seats and most > 1:
            self.fields["seats"] = forms.TypedChoiceField(
                label=_("Seats"), choices=[(n, n) for n in range(1, most + 1)], coerce=int, initial=1,
                help_text=_("Booking for a group? Up to %(most)s seats.") % {"most": most})
        self.participant_fields = []
        if not show_seats or not event_type.asks_participants:
            most_named = 0
        else:
            most_named = most
        required = event_type.participant_names == event_type.ParticipantNames.REQUIRED
        for number in range(1, most_named + 1):
            name_field, email_field = f"participant_{number}_name", f"participant_{number}_email"
            self.fields[name_field] = forms.CharField(
                label=_("Participant %(n)s: name") % {"n": number}, required=False, max_length=150,
                widget=forms.TextInput(attrs={"autocomplete": "off"}))
            self.fields[email_field] = forms.EmailField(
                label=_("Participant %(n)s: email") % {"n": number}, required=False,
                widget=forms.EmailInput(attrs={"autocomplete": "off"}))
            self.participant_fields.append((number, name_field, email_field))
        self.names_required = required
        self.questions = []
        for index, question in enumerate(event_type.questions or []):
            name = f"q_{index}"
            label = str(question.get("label", "")).strip()
            required = bool(question.get("required"))
            kind = question.get("kind", "text")
            if kind == "choice":
                choices = [("", "—")] + [(str(c), str(c)) for c in question.get("choices") or []]
                field = forms.ChoiceField(label=label, choices=choices, required=required)
            elif kind == "yes_no":
                field = forms.ChoiceField(label=label, choices=[("yes", _("Yes")), ("no", _("No"))],
                                          widget=forms.RadioSelect, required=required)
            else:
                field = forms.CharField(label=label, required=required, max_length=2000,
                                        widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[name] = field
            self.questions.append((name, label))

    @property
    def main_fields(self):
        named = {name for _n, *names in self.participant_fields for name in names}
        return [field for field in self if field.name not in named]

    @property
    def participant_rows(self):
        return [(number, self[name], self[email]) for number, name, email in self.participant_fields]

    def clean(self):
        cleaned = super().clean()
        if self.participant_fields:
            seats = cleaned.get("seats", 1)
            beyond = [number for number, name, email in self.participant_fields
                      if number > seats and (cleaned.get(name) or cleaned.get(email))]
            if beyond:
                raise forms.ValidationError(
                    _("You named %(named)s participants for %(seats)s seats: choose more seats or clear the "
                      "extra rows.") % {"named": max(beyond), "seats": seats})
        return cleaned

    def participants(self):
        """[{"name", "email"}] for the seats booked (for `create_booking`), or None when
        the event type does not ask for participants."""
        if not self.participant_fields:
            return None
        seats = self.seats()
        return [{"name": self.cleaned_data.get(name, ""), "email": self.cleaned_data.get(email, "")}
                for number, name, email in self.participant_fields if number <= seats]

    def seats(self):
        return self.cleaned_data.get("seats", 1) if hasattr(self, "cleaned_data") else 1

    def answers(self):
        return {label: self.cleaned_data.get(name, "") for name, label in self.questions}


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why are you cancelling? (optional)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class ParticipantForm(forms.Form):
    """One participant of a group: add, replace or name one."""

    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("Email"))
