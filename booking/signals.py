"""What the booking app announces. Integrations (calendar feeds, Immersio,
webhooks) connect here; the booking app knows nothing of them.

All are sent after the transaction that made the change has committed.
"""

from django.dispatch import Signal

# sender=Session class; kwargs: tenant, session_ids, series (or None), actor
sessions_created = Signal()
# sender=Session class; kwargs: tenant, session_ids, series (or None), actor
sessions_changed = Signal()
# sender=Session class; kwargs: tenant, session, actor, reason
session_cancelled = Signal()

# The booking lifecycle. sender=Booking class; every one carries booking_id and tenant_id
# (reload the booking: it may have changed again since). Sent after commit.
# kwargs: booking_id, tenant_id, actor_id (or None)
booking_created = Signal()
# kwargs: booking_id, tenant_id, actor_id
booking_confirmed = Signal()
# kwargs: booking_id, tenant_id, actor_id, by_role ("student", "teacher", "admin", "system"), reason,
#         refund_due (Decimal), session_cancelled (True when the whole session was cancelled)
booking_cancelled = Signal()
# kwargs: booking_id, tenant_id, actor_id, previous_start, previous_end, previous_session_id
#         (+ previous_session_ids: a whole-series booking moved to another run: the old run's future sessions)
booking_rescheduled = Signal()
# sender=WaitlistEntry class; kwargs: entry_id, tenant_id, session_id
waitlist_offered = Signal()

# Group bookings (booking.services.participants). sender=BookingParticipant class. Sent after commit.
# kwargs: booking_id (the booking whose seats changed), tenant_id, actor_id (or None),
#         action ("added", "named", "replaced", "removed", "released"),
#         added (list of BookingParticipant ids that now hold a seat),
#         removed (list of BookingParticipant ids that no longer do),
#         seats_released (int: seats given back to the session, 0 for a replacement or a naming),
#         refund_due (Decimal: what the policy refunds the payer for the freed seats, 0 when nothing)
# One enrollment per participant: an integration enrolls `added` and unenrolls `removed`.
participants_changed = Signal()
