from django.utils.translation import gettext_lazy as _


class BookingError(Exception):
    """A refusal a user can read. `code` picks a message from the catalogue;
    extra keyword arguments fill it in and stay available on `params`."""

    messages = {
        "timezone_unknown": _("“%(zone)s” is not a known time zone. Use an IANA name such as Europe/London "
                              "or Asia/Ho_Chi_Minh."),
        "date_invalid": _("“%(value)s” is not a valid date for “%(field)s”; use YYYY-MM-DD."),
        "date_missing": _("Give both “start” and “end” dates (YYYY-MM-DD)."),
        "range_reversed": _("The start date (%(start)s) is after the end date (%(end)s)."),
        "range_too_long": _("Ask for at most %(max_days)s days at a time (you asked for %(days)s)."),
        "not_a_teacher": _("%(user)s is not an active teacher of %(tenant)s."),
        "wrong_event_kind": _("“%(event)s” is a %(kind)s; this needs a live class or workshop."),
        "recurrence_no_weekdays": _("Choose at least one weekday."),
        "recurrence_no_end": _("Give an end date or a number of sessions."),
        "recurrence_until_before_start": _("The end date is before the start date."),
        "recurrence_too_many": _("A series can have at most %(max)s sessions; this rule makes more."),
        "recurrence_empty": _("This rule gives no session dates."),
        "recurrence_conflicts": _("The teacher is busy on %(count)s of these dates: %(dates)s. "
                                  "Change the rule or choose to skip those dates."),
        "teacher_busy": _("The teacher is busy at that time (%(dates)s)."),
        "edit_conflicts": _("The teacher is busy at the new time on: %(dates)s."),
        "capacity_below_taken": _("Some sessions already have %(taken)s seats taken; capacity cannot be lower."),
        "session_cancelled": _("This session has been cancelled."),
        "session_not_found": _("No such session."),
        "invalid_times": _("The end must be after the start."),
    }

    def __init__(self, code, **params):
        self.code = code
        self.params = params
        super().__init__(self.message)

    @property
    def message(self):
        return str(self.messages[self.code] % self.params) if self.params else str(self.messages[self.code])
