"""Concurrent registrations for the last seats: exactly as many win as there are seats.

The requests run at once in the app's thread pool, each with its own session and connection,
on SQLite and on PostgreSQL (JISR_TEST_DATABASE_URL).
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import Api
from tests.events.conftest import EventFactory

CONTENDERS = 4


def race(api: Api, event_id: str, collectivity_ids: list[str]) -> list[int]:
    headers = api.headers("coordinator")  # sign in before the race
    barrier = threading.Barrier(len(collectivity_ids))

    def attempt(collectivity_id: str) -> int:
        barrier.wait()
        r = api.client.post(
            f"/api/v1/events/{event_id}/registrations", headers=headers, json={"collectivity_id": collectivity_id}
        )
        assert r.status_code in (201, 409), r.text
        return int(r.status_code)

    with ThreadPoolExecutor(max_workers=len(collectivity_ids)) as pool:
        return list(pool.map(attempt, collectivity_ids))


@pytest.mark.parametrize("capacity", [1, 2])
def test_concurrent_registrations_never_overbook(api: Api, make_event: EventFactory, capacity: int) -> None:
    towns = [api.collectivity(name=f"Commune {i}")["id"] for i in range(CONTENDERS)]
    for round_ in range(3):
        event = make_event(title=f"Round {round_}", capacity=capacity)
        codes = race(api, event["id"], towns)
        assert sorted(codes) == [201] * capacity + [409] * (CONTENDERS - capacity), codes
        body: dict[str, Any] = api.get(f"/api/v1/events/{event['id']}").json()
        assert (body["registered_count"], body["seats_left"]) == (capacity, 0)
        listed = api.get(f"/api/v1/events/{event['id']}/registrations").json()
        assert listed["total"] == capacity


def test_the_same_collectivity_twice_at_once_holds_one_seat(api: Api, make_event: EventFactory) -> None:
    tyr = api.collectivity(name="Tyr")["id"]
    event = make_event(capacity=10)
    codes = race(api, event["id"], [tyr, tyr, tyr])
    assert sorted(codes) == [201, 409, 409]
    assert api.get(f"/api/v1/events/{event['id']}").json()["registered_count"] == 1
