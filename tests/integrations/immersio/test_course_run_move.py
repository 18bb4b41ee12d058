"""A whole-series course booking moved to another run: Immersio's live classes of
every session of the old run show the seat given back, and those of the new run the
seat taken (the contract's `seats_taken` per live class)."""

import pytest

from booking.services.bookings import create_booking, reschedule_booking
from tests.booking.series_helpers import make_course, make_run

from .conftest import ORG

pytestmark = pytest.mark.django_db


def seats_taken(fake, sessions):
    live = fake.orgs[ORG].live_classes
    return [live[str(session.pk)]["seats_taken"] if str(session.pk) in live else None for session in sessions]


def test_moving_a_course_booking_to_another_run_updates_every_session_of_both_runs(
        fake, tenant, connection, teacher, student, django_capture_on_commit_callbacks):
    fake.add_course(ORG, "c1", title="Ten-week Course")
    course = make_course(tenant, teacher, immersio_course_id="c1")
    run_a = make_run(course, teacher, days=3, count=3)
    run_b = make_run(course, teacher, days=5, count=3, hour=14)
    with django_capture_on_commit_callbacks(execute=True):
        booking = create_booking(event_type=course, session=run_a[0], attendee=student)
    assert seats_taken(fake, run_a) == [1, 1, 1]

    with django_capture_on_commit_callbacks(execute=True):
        reschedule_booking(booking, new_session=run_b[0], actor=student)

    assert seats_taken(fake, run_a) == [0, 0, 0]
    assert seats_taken(fake, run_b) == [1, 1, 1]
