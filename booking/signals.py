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
