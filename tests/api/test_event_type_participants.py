"""The school's event-type API: the participant-naming rule and its cut-off, read and
written, refused on a one-to-one event type as in the admin form."""

import pytest

from booking.models import EventType
from tests.booking.booking_helpers import make_one_on_one

pytestmark = pytest.mark.django_db


def test_school_sets_and_reads_the_participant_naming_rule(key_client, teacher):
    made = key_client.post_json("/api/v1/tenant/event-types", {
        "kind": "workshop", "title": "Kids club", "hosts": [teacher.pk], "seats_per_session": 8,
        "participant_names": "later", "participant_names_cutoff_hours": 48})
    assert made.status_code == 201, made.content
    assert (made.json()["participant_names"], made.json()["participant_names_cutoff_hours"]) == ("later", 48)
    event_type = EventType.objects.get(pk=made.json()["id"])
    assert (event_type.participant_names, event_type.participant_names_cutoff_hours) == ("later", 48)

    changed = key_client.patch_json(f"/api/v1/tenant/event-types/{event_type.pk}", {"participant_names": "required"})
    assert changed.status_code == 200 and changed.json()["participant_names"] == "required"
    listed = key_client.get("/api/v1/tenant/event-types").json()["results"]
    assert [(e["title"], e["participant_names"]) for e in listed] == [("Kids club", "required")]

    plain = key_client.post_json("/api/v1/tenant/event-types", {"kind": "workshop", "title": "Plain",
                                                                "hosts": [teacher.pk]})
    assert (plain.json()["participant_names"], plain.json()["participant_names_cutoff_hours"]) == ("not_asked", 24)


def test_one_to_one_naming_participants_is_refused_with_nothing_written(key_client, teacher, tenant):
    refused = key_client.post_json("/api/v1/tenant/event-types", {
        "kind": "one_on_one", "title": "Tutoring 2", "hosts": [teacher.pk], "participant_names": "required"})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid"
    assert refused.json()["fields"]["participant_names"] == ["Only live classes and workshops take named participants."]
    assert not EventType.objects.filter(title="Tutoring 2").exists()

    tutoring = make_one_on_one(tenant, teacher, title="Tutoring")
    changed = key_client.patch_json(f"/api/v1/tenant/event-types/{tutoring.pk}", {"participant_names": "later"})
    assert changed.status_code == 422 and "participant_names" in changed.json()["fields"]
    tutoring.refresh_from_db()
    assert tutoring.participant_names == "not_asked"


@pytest.mark.parametrize("body", [{"participant_names": "sometimes"}, {"participant_names_cutoff_hours": -1},
                                  {"participant_names_cutoff_hours": 10 ** 9}])
def test_bad_naming_values_are_422(key_client, teacher, body):
    response = key_client.post_json("/api/v1/tenant/event-types", {"kind": "workshop", "title": "Bad",
                                                                   "hosts": [teacher.pk], **body})
    assert response.status_code == 422 and list(body)[0] in response.json()["fields"]
    assert not EventType.objects.filter(title="Bad").exists()
