from django.utils.translation import gettext_lazy as _

from site_platform.errors import CatalogueError


class BookingError(CatalogueError):
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
        "date_out_of_range": _("Choose dates between %(first)s and %(last)s."),
        "full": _("This session is fully booked."),
        "whitelist_only": _("This class is open only to enrolled students."),
        "email_unverified": _("Please verify your email address before booking."),
        "override_not_allowed": _("Only an admin of this school can book someone in over the whitelist."),
        "seats_invalid": _("Choose between 1 and %(most)s seats."),
        "answer_required": _("Please answer “%(question)s”."),
        "answer_invalid_choice": _("“%(value)s” is not one of the choices for “%(question)s”."),
        "answer_too_long": _("The answer to “%(question)s” is too long (at most %(most)s characters)."),
        "event_not_open": _("This event is not open for booking."),
        "wrong_session": _("This session is not part of this event."),
        "too_late": _("Booking for this session has closed."),
        "series_empty": _("This course has no sessions left to book."),
        "time_missing": _("Choose a time for your lesson."),
        "slot_unavailable": _("This time is not available. Please choose another."),
        "slot_taken": _("Someone has just booked this time. Please choose another."),
        "not_active": _("This booking is no longer active."),
        "change_too_late": _("This booking has already started, so it can no longer be cancelled or changed."),
        "reschedule_same": _("Choose a different time from the one you have."),
        "series_no_reschedule": _("A whole-course booking cannot be moved; cancel it and book again."),
        "token_invalid": _("This link is not valid any more. Use the link in your latest email, or sign in."),
        "waitlist_unavailable": _("This class has no waitlist."),
        "waitlist_has_seats": _("This session still has seats: book it instead."),
        "offer_invalid": _("This offer link is not valid."),
        "offer_expired": _("This offer has expired. The seat has passed to the next person in line."),
        "email_invalid": _("“%(value)s” is not a valid email address."),
        "attendance_too_early": _("Attendance can be marked once the session has started."),
        "monthly_limit": _("Sorry, %(school)s cannot take more bookings this month. Please contact the school."),
        "participant_name_missing": _("Give the name and email of participant %(number)s."),
        "participant_duplicate": _("%(email)s is named twice in this group."),
        "participant_not_whitelisted": _("%(email)s is not on the list of students who may join this class."),
        "participant_not_found": _("No such participant in this booking."),
        "participant_not_active": _("This participant no longer holds a seat."),
        "participant_names_closed": _("Participants' names can no longer be given or changed: the cut-off "
                                      "was %(hours)s hours before the start."),
        "group_too_big": _("A booking can hold at most %(most)s seats; this group would have %(seats)s."),
        "group_not_for_event": _("This event does not take named participants."),
        "group_pay_first": _("Please pay for this booking before changing its participants."),
        "participant_none": _("Name at least one participant to add."),
    }
