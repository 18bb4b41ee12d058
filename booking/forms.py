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

    def seats(self):
        return self.cleaned_data.get("seats", 1) if hasattr(self, "cleaned_data") else 1

    def answers(self):
        return {label: self.cleaned_data.get(name, "") for name, label in self.questions}


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Why are you cancelling? (optional)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
