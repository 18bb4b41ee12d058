"""Student-facing booking pages on a tenant host. Thin: parse input, call one service,
turn a BookingError into a message. Every lookup goes through the request's tenant,
so another tenant's uid or id answers 404."""

from datetime import date, timedelta
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from site_platform.models import Membership

from . import ics, payment_flow
from .errors import BookingError
from .forms import BookingForm, CancelForm, ParticipantForm
from .models import Booking, BookingParticipant, EventType, Schedule, Session, WaitlistEntry
from .models.common import timezone_names
from .notifications.emails import calendar_entries
from .services import bookings as booking_service
from .services import participants as group_service
from .services import slots as slot_service
from .services import teachers as teacher_service
from .services import waitlist as waitlist_service

TZ_COOKIE = "tz"
DAYS_SHOWN = 7
SESSION_DAYS_SHOWN = 60


def _tenant(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise Http404
    return tenant


def _default_zone(event_type, teacher_id=None):
    """The zone of `teacher_id` (a session's teacher) or, without one, of the event type's
    (first) teacher: their schedule, else membership."""
    if event_type is None:
        return "UTC"
    if teacher_id is None:
        teacher_id = event_type.hosts.order_by("pk").values_list("teacher_id", flat=True).first()
    if teacher_id is None:
        teacher_id = event_type.sessions.order_by("start").values_list("teacher_id", flat=True).first()
    zone = (Schedule.objects.filter(tenant_id=event_type.tenant_id, teacher_id=teacher_id)
            .values_list("timezone", flat=True).first()
            or Membership.objects.filter(tenant_id=event_type.tenant_id, user_id=teacher_id)
            .values_list("timezone", flat=True).first())
    return zone or "UTC"


def student_zone(request, event_type=None, teacher_id=None):
    """The zone to show times in: ?tz=, else the tz cookie, else the teacher's zone (the
    session's teacher when `teacher_id` is given)."""
    for candidate in (request.GET.get("tz"), request.COOKIES.get(TZ_COOKIE)):
        if candidate and candidate.strip() in timezone_names():
            return candidate.strip()
    return _default_zone(event_type, teacher_id)


@lru_cache(maxsize=1)
def _zone_options():
    return "".join(f'<option value="{name}">{name}</option>' for name in sorted(timezone_names()))


def zone_options(selected):
    """The <option>s of every zone, the selected one marked (built once per process:
    rendering 600 options through the template engine costs more than a booking)."""
    return mark_safe(_zone_options().replace(f'<option value="{selected}">', f'<option value="{selected}" selected>'))


def _render(request, template, context, *, status=200):
    zone = context.setdefault("zone", student_zone(request, context.get("event_type"),
                                                   getattr(context.get("session"), "teacher_id", None)))
    context.setdefault("zone_options", zone_options(zone))
    context.setdefault("tenant", getattr(request, "tenant", None))
    context.setdefault("keep_params", [(k, v) for k, v in request.GET.items() if k != "tz"])
    # No zone chosen yet: booking-zone.js may keep the browser's zone and reload this GET
    # once (not while a message waits: the reload would lose it).
    context.setdefault("detect_zone", request.method == "GET" and not request.GET.get("tz")
                       and TZ_COOKIE not in request.COOKIES and not len(messages.get_messages(request)))
    response = render(request, template, context, status=status)
    if request.GET.get("tz") == zone:
        response.set_cookie(TZ_COOKIE, zone, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _published_event_type(request, slug):
    return get_object_or_404(EventType.objects.for_tenant(_tenant(request)).select_related("tenant"),
                             slug=slug, is_published=True)


def _require_login(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


# Event type page --------------------------------------------------------------------------------

def event_type_page(request, slug):
    """An event type with its open sessions (classes, workshops) or a week of slots."""
    event_type = _published_event_type(request, slug)
    zone_name = student_zone(request, event_type)
    zone = ZoneInfo(zone_name)
    now = dj_timezone.now()
    try:
        first_day = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first_day = now.astimezone(zone).date()
    first_day = max(first_day, now.astimezone(zone).date())
    days = DAYS_SHOWN if event_type.is_one_on_one else SESSION_DAYS_SHOWN
    last_day = first_day + timedelta(days=days - 1)
    items = slot_service.find_slots(event_type, first_day=first_day, last_day=last_day, zone=zone, now=now)
    context = {"event_type": event_type, "zone": zone_name, "first_day": first_day, "last_day": last_day}
    if event_type.is_one_on_one:
        context["slot_days"] = [
            (day, list(slots)) for day, slots in groupby(items, key=lambda s: s.start.astimezone(zone).date())]
        context["next_from"] = (last_day + timedelta(days=1)).isoformat()
        context["previous_from"] = (first_day - timedelta(days=days)).isoformat() \
            if first_day > now.astimezone(zone).date() else None
    else:
        open_ids = {item.session_id: item.seats_left for item in items}
        sessions = list(Session.objects.for_tenant(event_type.tenant).filter(
            event_type=event_type, status=Session.Status.SCHEDULED, start__gte=now,
            start__lt=now + timedelta(days=days)).select_related("teacher").order_by("start")[:50])
        for session in sessions:
            session.open_seats = open_ids.get(session.pk, 0)
        context["sessions"] = sessions
        context["whole_series"] = event_type.booked_as == EventType.BookedAs.WHOLE_SERIES
        if context["whole_series"]:
            # A full run that has not started: its waitlist, on its first session's row.
            from django.db.models import Min

            firsts = dict(Session.objects.filter(
                series_id__in={s.series_id for s in sessions if s.series_id}, status=Session.Status.SCHEDULED,
            ).values("series_id").annotate(first=Min("start")).values_list("series_id", "first"))
            for session in sessions:
                session.run_waitlist = (not session.open_seats and session.series_id is not None
                                        and firsts.get(session.series_id) == session.start and session.start > now)
    teacher_ids = ([host.teacher_id for host in event_type.hosts.order_by("pk")] if event_type.is_one_on_one
                   else [session.teacher_id for session in context["sessions"]])
    context["teachers"] = teacher_service.teacher_profiles(event_type.tenant, teacher_ids)[:6]
    return _render(request, "booking/event_type.html", context)


# Booking form -----------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def book_session(request, session_id):
    tenant = _tenant(request)
    session = get_object_or_404(Session.objects.for_tenant(tenant).select_related("event_type", "teacher"),
                                pk=session_id, event_type__is_published=True)
    login = _require_login(request)
    if login:
        return login
    return _booking_form(request, session.event_type, session=session)


@require_http_methods(["GET", "POST"])
def book_slot(request, slug):
    event_type = _published_event_type(request, slug)
    if not event_type.is_one_on_one:
        raise Http404
    login = _require_login(request)
    if login:
        return login
    try:
        start = booking_service._parse_start(request.POST.get("start") or request.GET.get("start") or "")
    except BookingError as error:
        messages.error(request, error.message)
        return redirect("booking:event_type", slug=slug)
    return _booking_form(request, event_type, start=start)


def _booking_form(request, event_type, *, session=None, start=None):
    form = BookingForm(request.POST or None, event_type=event_type)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            booking = booking_service.create_booking(
                event_type=event_type, session=session, start=start, attendee=request.user, seats=form.seats(),
                answers=form.answers(), actor=request.user, participants=form.participants())
        except BookingError as exc:
            error = exc.message
        else:
            return redirect(payment_flow.checkout_redirect(request, booking)
                            or reverse("booking:booking_detail", kwargs={"uid": booking.uid}))
    end = session.end if session else (start + event_type.duration if start else None)
    return _render(request, "booking/book.html", {
        "event_type": event_type, "session": session, "start": session.start if session else start, "end": end,
        "form": form, "error": error,
    }, status=400 if error or form.errors else 200)


# A booking: confirmation, manage link, cancel, reschedule ---------------------------------------

class LinkRefused(Exception):
    pass


def _booking_access(request, uid):
    """(booking, token) if the request may manage the booking: by the manage link's
    token or as the signed-in attendee. Another tenant's uid: 404."""
    booking = get_object_or_404(
        Booking.objects.for_tenant(_tenant(request)).select_related("event_type", "teacher", "session", "tenant"),
        uid=uid)
    token = request.POST.get("token") or request.GET.get("token")
    if token:
        if booking.token_matches(token):
            return booking, token
        raise LinkRefused
    if request.user.is_authenticated and request.user.pk == booking.attendee_id:
        return booking, None
    if not request.user.is_authenticated:
        return None, None
    raise Http404


def _refused(request):
    return _render(request, "booking/link_refused.html", {"message": BookingError("token_invalid").message},
                   status=403)


def _with_token(url, token, **extra):
    params = {**({"token": token} if token else {}), **{k: v for k, v in extra.items() if v}}
    return f"{url}?{urlencode(params)}" if params else url


def booking_detail(request, uid):
    try:
        booking, token = _booking_access(request, uid)
    except LinkRefused:
        return _refused(request)
    if booking is None:
        return redirect_to_login(request.get_full_path())
    now = dj_timezone.now()
    return _render(request, "booking/booking_detail.html", {
        "booking": booking, "event_type": booking.event_type, "token": token,
        "can_change": booking.can_cancel(now), "can_reschedule": booking.can_cancel(now),
        "refund": booking.refund_amount(now), "cancel_form": CancelForm(),
        "calendar": calendar_links(booking, token),
        "sessions": booking.seat_rows.select_related("session").order_by("session__start"),
        "pay_url": _pay_url(request, booking, token),
        "group": _group_context(booking, now),
    })


def _group_context(booking, now):
    """The group panel of a booking whose event type names participants (None otherwise)."""
    if not booking.event_type.asks_participants:
        return None
    head = booking.group
    active = booking.status in Booking.ACTIVE and booking.can_cancel(now)
    return {
        "head": head,
        "participants": group_service.group_participants(booking),
        "extra_bookings": [b for b in group_service.group_bookings(booking)[1:] if b.status in Booking.HOLDING],
        "can_change": active and head.status in Booking.ACTIVE,
        "names_open": group_service.names_open(booking, now),
        "seats_left": group_service.seats_left_to_add(booking) if active else 0,
        "add_form": ParticipantForm(prefix="add"),
        "cutoff": booking.event_type.participant_names_cutoff(booking.start)
        if booking.event_type.participant_names == EventType.ParticipantNames.LATER else None,
    }


def _group_redirect(booking, token):
    return redirect(_with_token(reverse("booking:booking_detail", kwargs={"uid": booking.uid}), token) + "#group")


def _group_action(request, uid):
    """(booking, token, response): the booker's access to a group (manage link or sign-in)."""
    try:
        booking, token = _booking_access(request, uid)
    except LinkRefused:
        return None, None, _refused(request)
    if booking is None:
        return None, None, redirect_to_login(reverse("booking:booking_detail", kwargs={"uid": uid}))
    return booking, token, None


@require_http_methods(["POST"])
def participants_add(request, uid):
    """The booker adds one participant (and a seat) to the group."""
    booking, token, response = _group_action(request, uid)
    if response:
        return response
    form = ParticipantForm(request.POST, prefix="add")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _group_redirect(booking, token)
    try:
        holder = group_service.add_participants(booking, [form.cleaned_data], actor=request.user)
    except BookingError as error:
        messages.error(request, error.message)
        return _group_redirect(booking, token)
    if holder.pk != booking.group.pk:
        messages.info(request, _("The extra seat is held for you: pay for it to confirm it."))
        return redirect(payment_flow.checkout_redirect(request, holder)
                        or reverse("booking:booking_detail", kwargs={"uid": holder.uid}))
    messages.success(request, _("%(name)s is added to your booking.") % {"name": form.cleaned_data["name"]})
    return _group_redirect(booking, token)


def _participant_of(booking, participant_uid):
    found = (BookingParticipant.objects.for_tenant(booking.tenant_id)
             .filter(uid=participant_uid, booking__in=[b.pk for b in group_service.group_bookings(booking)]).first())
    if found is None:
        raise Http404
    return found


@require_http_methods(["POST"])
def participant_replace(request, uid, participant_uid):
    """The booker gives a participant's seat to someone else (or names a seat given "name later")."""
    booking, token, response = _group_action(request, uid)
    if response:
        return response
    participant = _participant_of(booking, participant_uid)
    form = ParticipantForm(request.POST, prefix=f"p{participant.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _group_redirect(booking, token)
    try:
        new = group_service.replace_participant(booking, participant, actor=request.user, **form.cleaned_data)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        if participant.email:
            messages.success(request, _("%(new)s has %(old)s's seat now; %(old)s has been told.")
                             % {"new": new.name, "old": participant.name})
        else:
            messages.success(request, _("%(name)s is named for this seat.") % {"name": new.name})
    return _group_redirect(booking, token)


@require_http_methods(["POST"])
def participant_remove(request, uid, participant_uid):
    """The booker takes a participant out of the group (their seat is freed)."""
    booking, token, response = _group_action(request, uid)
    if response:
        return response
    participant = _participant_of(booking, participant_uid)
    try:
        refund = group_service.remove_participant(booking, participant, actor=request.user)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        text = _("%(name)s is taken out of this booking; their seat is free.") % {
            "name": participant.name or _("The participant")}
        if refund:
            text += " " + _("%(amount)s %(currency)s goes back to your payment method.") % {
                "amount": refund, "currency": booking.currency}
        messages.success(request, text)
    return _group_redirect(booking, token)


@require_http_methods(["GET", "POST"])
def participant_manage(request, participant_uid):
    """A participant's own page (their manage link): their booking and "Give up my seat",
    with what it refunds the payer shown first. A wrong or old token: link refused."""
    tenant = _tenant(request)
    token = request.POST.get("token") or request.GET.get("token") or ""
    try:
        participant = group_service.participant_for_link(tenant, participant_uid, token)
    except BookingError:
        return _refused(request)
    if participant is None:
        raise Http404
    booking = participant.booking
    now = dj_timezone.now()
    error = None
    if request.method == "POST":
        try:
            refund = group_service.give_up_own_seat(participant, token=token)
        except BookingError as exc:
            error = exc.message
        else:
            return _render(request, "booking/participant_released.html", {
                "participant": participant, "booking": booking, "event_type": booking.event_type,
                "refund": refund})
    return _render(request, "booking/participant.html", {
        "participant": participant, "booking": booking, "event_type": booking.event_type, "token": token,
        "can_give_up": booking.status in Booking.ACTIVE and booking.can_cancel(now),
        "refund": group_service.refund_preview(participant, now), "error": error,
    }, status=400 if error else 200)


def _pay_url(request, booking, token):
    """Where to pay a booking that waits for payment (None otherwise): the student
    coming back through the manage link can still pay while the hold lasts."""
    url = payment_flow.checkout_redirect(request, booking)
    if url and token:
        url += ("&" if "?" in url else "?") + urlencode({"token": token})
    return url


OUTLOOK_CALENDAR_URL = "https://outlook.live.com/calendar/0/action/compose"


def outlook_calendar_url(entry):
    """A link that opens Outlook on the web's new-event form filled in with `entry`
    (the counterpart of ics.google_calendar_url; desktop Outlook opens the .ics file)."""
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": entry.summary,
             "startdt": entry.start.astimezone(ics.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "enddt": entry.end.astimezone(ics.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if entry.description:
        query["body"] = entry.description
    if entry.location or entry.url:
        query["location"] = entry.location or entry.url
    return f"{OUTLOOK_CALENDAR_URL}?{urlencode(query)}"


def calendar_links(booking, token=None, *, absolute=False):
    """The .ics download, Google Calendar and Outlook links of a confirmed booking, else None
    (a seat held for payment is not in the diary yet)."""
    if booking.status != Booking.Status.CONFIRMED:
        return None
    name = booking.attendee.get_full_name() if booking.attendee_id else ""
    first = calendar_entries(booking, recipient_name=name)[0]
    path = _with_token(reverse("booking:calendar_file", kwargs={"uid": booking.uid}), token)
    return {"ics": (booking.tenant.root_url + path) if absolute else path,
            "google": ics.google_calendar_url(first), "outlook": outlook_calendar_url(first)}


def calendar_file(request, uid):
    """The booking's calendar file (.ics): for the signed-in attendee or with the manage
    link's token. Another tenant's booking, somebody else's, or a wrong token: 404."""
    try:
        booking, _token = _booking_access(request, uid)
    except LinkRefused:
        raise Http404
    if booking is None:
        return redirect_to_login(request.get_full_path())
    name = booking.attendee.get_full_name() if booking.attendee_id else ""
    entries = calendar_entries(booking, recipient_name=name)
    method = ics.METHOD_CANCEL if entries[0].cancelled else ics.METHOD_PUBLISH
    body = ics.build_calendar(entries, method=method, name=booking.event_type.title).to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"{slugify(booking.event_type.title) or 'booking'}-{booking.start:%Y-%m-%d}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["POST"])
def cancel(request, uid):
    try:
        booking, token = _booking_access(request, uid)
    except LinkRefused:
        return _refused(request)
    if booking is None:
        return redirect_to_login(reverse("booking:booking_detail", kwargs={"uid": uid}))
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        changed = booking_service.cancel_booking(booking, reason=reason, actor=request.user,
                                                 by_role=Booking.Role.STUDENT)
    except BookingError as error:
        messages.error(request, error.message)
    else:
        if changed:
            messages.success(request, _("Your booking is cancelled."))
        else:
            messages.info(request, _("This booking was already cancelled."))
    return redirect(_with_token(reverse("booking:booking_detail", kwargs={"uid": booking.uid}), token))


@require_http_methods(["GET", "POST"])
def reschedule(request, uid):
    try:
        booking, token = _booking_access(request, uid)
    except LinkRefused:
        return _refused(request)
    if booking is None:
        return redirect_to_login(request.get_full_path())
    event_type = booking.event_type
    error = None
    if request.method == "POST":
        try:
            booking = booking_service.reschedule_booking(
                booking, new_session=request.POST.get("session") or None, new_start=request.POST.get("start") or None,
                actor=request.user, by_role=Booking.Role.STUDENT)
        except BookingError as exc:
            error = exc.message
        else:
            messages.success(request, _("Your booking has moved."))
            return redirect(_with_token(reverse("booking:booking_detail", kwargs={"uid": booking.uid}),
                                        booking.manage_token if token else None))
    zone_name = student_zone(request, event_type)
    zone = ZoneInfo(zone_name)
    now = dj_timezone.now()
    first_day = now.astimezone(zone).date()
    context = {"booking": booking, "event_type": event_type, "token": token, "zone": zone_name, "error": error}
    if booking.is_one_on_one:
        window_start, window_end = slot_service.day_window(first_day, first_day + timedelta(days=13), zone)
        slots = slot_service.one_on_one_slots(event_type, window_start, window_end, now,
                                              exclude_booking_ids=[booking.pk])
        slots = [s for s in slots if s.start != booking.start]
        context["slot_days"] = [(day, list(items)) for day, items in
                                groupby(slots, key=lambda s: s.start.astimezone(zone).date())]
    else:
        items = slot_service.find_slots(event_type, first_day=first_day, last_day=first_day + timedelta(days=89),
                                        zone=zone, now=now)
        if booking.series_id:
            # A whole course moves to another run of it: each run (series) shown by its first session.
            runs = {}
            for item in sorted(items, key=lambda item: item.start):
                if item.series_id and item.series_id != booking.series_id and item.seats_left >= booking.seats:
                    runs.setdefault(item.series_id, item.session_id)
            ids = list(runs.values())
        else:
            ids = [item.session_id for item in items if item.session_id != booking.session_id
                   and item.seats_left >= booking.seats]
        context["sessions"] = Session.objects.filter(pk__in=ids).select_related("teacher").order_by("start")
    return _render(request, "booking/reschedule.html", context, status=400 if error else 200)


# My bookings ------------------------------------------------------------------------------------

def my_bookings(request):
    """Every booking of the signed-in student, on every tenant, grouped by tenant;
    each links to its own tenant's host."""
    _tenant(request)
    login = _require_login(request)
    if login:
        return login
    now = dj_timezone.now()
    named = Prefetch("participants", to_attr="active_participants",
                     queryset=BookingParticipant.objects.filter(status=BookingParticipant.Status.ACTIVE)
                     .order_by("created_at", "pk"))
    rows = list(Booking.objects.filter(attendee=request.user).select_related("tenant", "event_type", "teacher")
                .prefetch_related(named).order_by("tenant__name", "tenant_id", "start"))
    groups = []
    for tenant, bookings in groupby(rows, key=lambda b: b.tenant):
        bookings = list(bookings)
        for booking in bookings:
            booking.link = tenant.root_url + reverse("booking:booking_detail", kwargs={"uid": booking.uid})
        upcoming = [b for b in bookings if b.end >= now and b.status in Booking.ACTIVE]
        for booking in upcoming:
            booking.calendar = calendar_links(booking, absolute=True)
        past = sorted((b for b in bookings if b not in upcoming), key=lambda b: b.start, reverse=True)
        groups.append({"tenant": tenant, "upcoming": upcoming, "past": past,
                       "is_here": tenant.pk == request.tenant.pk})
    groups.sort(key=lambda g: not g["is_here"])
    waiting = WaitlistEntry.objects.filter(user=request.user, status__in=WaitlistEntry.OPEN).select_related(
        "session__event_type", "tenant").order_by("session__start")
    return _render(request, "booking/my_bookings.html", {"groups": groups, "waiting": waiting})


# Waitlist ---------------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def join_waitlist(request, session_id):
    session = get_object_or_404(Session.objects.for_tenant(_tenant(request)).select_related("event_type", "teacher"),
                                pk=session_id, event_type__is_published=True)
    login = _require_login(request)
    if login:
        return login
    error = None
    if request.method == "POST":
        try:
            entry = waitlist_service.join_waitlist(session, request.user, seats=request.POST.get("seats", 1))
        except BookingError as exc:
            if exc.code == "waitlist_has_seats":
                messages.info(request, exc.message)
                return redirect("booking:book_session", session_id=session.pk)
            error = exc.message
        else:
            if entry.status == WaitlistEntry.Status.OFFERED:
                return redirect(entry.claim_path())
            messages.success(request, _("You are on the waitlist (number %(n)s in line). We will email you "
                                        "when a seat frees up.") % {"n": waitlist_service.position(entry)})
            return redirect("booking:my_bookings")
    return _render(request, "booking/waitlist_join.html", {
        "session": session, "event_type": session.event_type, "error": error,
        "most": session.event_type.max_seats_per_booking,
    }, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def claim_offer(request, entry_id):
    entry = get_object_or_404(
        WaitlistEntry.objects.for_tenant(_tenant(request)).select_related("session__event_type", "session__teacher"),
        pk=entry_id)
    login = _require_login(request)
    if login:
        return login
    token = request.POST.get("token") or request.GET.get("token") or ""
    if not entry.token_matches(token) or entry.user_id != request.user.pk:
        return _refused(request)
    event_type = entry.session.event_type
    form = BookingForm(request.POST or None, event_type=event_type, show_seats=False)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            booking = waitlist_service.claim_offer(entry, token=token, user=request.user, answers=form.answers())
        except BookingError as exc:
            error = exc.message
        else:
            return redirect(payment_flow.checkout_redirect(request, booking)
                            or reverse("booking:booking_detail", kwargs={"uid": booking.uid}))
    now = dj_timezone.now()
    open_offer = entry.status == WaitlistEntry.Status.OFFERED and entry.offer_expires_at > now
    if entry.status == WaitlistEntry.Status.CLAIMED and entry.booking_id:
        return redirect("booking:booking_detail", uid=entry.booking.uid)
    return _render(request, "booking/waitlist_claim.html", {
        "entry": entry, "session": entry.session, "event_type": event_type, "form": form, "token": token,
        "open_offer": open_offer, "error": error or (None if open_offer else BookingError("offer_expired").message),
    }, status=400 if error else (200 if open_offer else 410))
