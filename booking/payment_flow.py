"""Where a student goes to pay for a booking that waits for payment.

The booking app takes no payments: a payments app registers a checkout starter
here, and the booking pages ask it where to send the student after creating a
booking in `pending_payment`:

    starter(request, booking) -> URL (str) or None

The first starter that answers with a URL wins. With none registered (or none
answering) the student stays on the booking's own page.
"""

_starters = []


def register_checkout_starter(starter):
    if starter not in _starters:
        _starters.append(starter)
    return starter


def checkout_redirect(request, booking):
    """The URL to send the student to for paying `booking`, or None."""
    if booking.status != booking.Status.PENDING_PAYMENT:
        return None
    for starter in _starters:
        url = starter(request, booking)
        if url:
            return url
    return None
