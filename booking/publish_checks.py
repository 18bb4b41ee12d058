"""Checks other apps add before an event type may be published.

The event type admin form asks every registered check; a check answers with the
messages that refuse publishing (an empty list lets it through):

    check(*, tenant, event_type, is_published, price) -> [message, ...]

`event_type` is the instance being edited (unsaved changes not applied yet);
`is_published` and `price` are the values the form would save.
"""

_checks = []


def register(check):
    if check not in _checks:
        _checks.append(check)
    return check


def publish_problems(*, tenant, event_type, is_published, price):
    problems = []
    for check in _checks:
        problems.extend(check(tenant=tenant, event_type=event_type, is_published=is_published, price=price))
    return problems
