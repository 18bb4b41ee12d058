"""Busy time from outside the booking app (imported calendars and the like).

The booking app does not know where busy time comes from: other apps register a
provider here and the availability loader asks all of them. A provider is
called once per slot request and MUST answer with a fixed number of queries,
whatever the number of teachers or events:

    provider(tenant, teacher_ids, start, end) -> {teacher_id: [(start, end), ...]}

Times are aware datetimes in UTC; intervals may overlap and need not be sorted.
"""

_providers = []


def register_busy_provider(provider):
    if provider not in _providers:
        _providers.append(provider)
    return provider


def external_busy(tenant, teacher_ids, start, end):
    busy = {teacher_id: [] for teacher_id in teacher_ids}
    for provider in _providers:
        for teacher_id, intervals in provider(tenant, list(teacher_ids), start, end).items():
            busy.setdefault(teacher_id, []).extend(intervals)
    return busy
