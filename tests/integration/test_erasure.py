"""Crypto-shredding on SQLite and PostgreSQL: personal data is stored sealed with a key per
customer; erasing a person destroys the key, scrubs the views, and leaves no plaintext of the
person in any table or database file, while amounts, dates, levels and holds still replay."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain import commands as c
from domain.errors import DunningRefusedError, InvalidTransitionError, UnknownError
from domain.personal import ERASED
from domain.values import Department, Principal
from projections.views import VIEWS
from services.privacy import Privacy
from services.projector import Projector
from tests.integration.erasure_helpers import (
    OSKAR,
    ZELDA,
    database_files,
    found_in,
    secrets,
    table_rows,
    zelda_history,
)
from tests.integration.helpers import BILLING, dump, fresh_read_store, open_journey, stream

OFFICER = Principal(Department.PRIVACY, user="dora-data-protection")


@pytest.fixture
def journey(database_url, clock):
    journey = open_journey(database_url, clock)
    zelda_history(journey, clock)
    journey.catch_up_views()
    yield journey
    journey.close()


def stored_states(journey) -> bytes:
    app = journey.service.app
    return b"\n".join(n.state for n in app.recorder.select_notifications(start=1, limit=10_000))


def wrapped_key(journey, customer_id: str) -> bytes:
    return journey.service.app.mapper.keys.store.wrapped([customer_id])[customer_id]


def test_stored_events_hold_personal_data_only_sealed(journey):
    states = stored_states(journey)

    assert found_in(states, secrets(ZELDA) + secrets(OSKAR)) == []
    assert states.count(b'"enc1:z1:') > 10
    # Decoding opens them again: the events read back as they were written.
    registered = next(e for e, _ in stream(journey) if type(e).__qualname__ == "Customer.Registered")
    assert (registered.name, registered.email, registered.phone) == (ZELDA["name"], ZELDA["email"], ZELDA["phone"])
    assert registered.birthday.isoformat() == "1980-05-17"


def test_an_erased_person_leaves_no_plaintext_in_any_table_or_database_file(journey):
    key = wrapped_key(journey, "z1")
    assert found_in(b"".join(database_files(journey).values()), secrets(ZELDA))  # the views hold them

    Privacy(journey).erase("z1", OFFICER)

    wanted = [*secrets(ZELDA), key]
    assert {t: found_in(rows, wanted) for t, rows in table_rows(journey).items() if found_in(rows, wanted)} == {}
    files = database_files(journey)
    assert {f: found_in(data, wanted) for f, data in files.items() if found_in(data, wanted)} == {}
    # Everyone else is as they were.
    assert all(found_in(b"".join(files.values()), secrets(OSKAR)) for _ in [0])


def test_the_views_show_the_person_erased_and_keep_every_fact(journey):
    before = journey.reads.billing("z1")

    erasure = Privacy(journey).erase("z1", OFFICER)

    customer = journey.reads.views("z1", erasure.position)["billing"]["customer"]
    assert customer["name"] == customer["email"] == customer["phone"] == customer["address"] == ERASED
    assert customer["erased"] is True
    billing = journey.reads.billing("z1", erasure.position)
    assert _facts(billing) == _facts(before)
    invoice = next(i for i in billing["invoices"] if i["invoice_id"] == "zi1")
    assert invoice["dunning_level"] == 1
    assert [h["kind"] for h in invoice["holds"]] == ["dispute"]
    entries = journey.reads.journey("z1", erasure.position)["touchpoints"]
    assert entries[-1]["type"] == "Customer.PersonalDataErased"
    assert entries[0]["summary"] == f"customer registered: {ERASED}"
    assert all(e["actor"]["user"] in (None, ERASED) for e in entries)
    assert journey.reads.billing("o-cust")["customer"]["name"] == OSKAR["name"]


def _facts(billing: dict) -> list[tuple]:
    return [(i["invoice_id"], i["amount"], i["balance"], i["due_date"], i["dunning_level"],
             [h["kind"] for h in i["holds"]]) for i in billing["invoices"]]


def test_views_rebuilt_from_the_stream_equal_the_scrubbed_live_views(journey, tmp_path):
    Privacy(journey).erase("z1", OFFICER)
    rebuilt = fresh_read_store(journey, "rebuilt", tmp_path)
    try:
        Projector(journey.service.app, rebuilt).catch_up()
        assert dump(rebuilt, ["z1", "o-cust"]) == dump(journey.store, ["z1", "o-cust"])
    finally:
        rebuilt.close()
    docs = journey.store.read("journey", None, VIEWS).docs
    assert any(d.get("name") == OSKAR["name"] for _, _, d in docs)


def test_erasing_twice_answers_the_same_position_and_records_nothing(journey):
    first = Privacy(journey).erase("z1", OFFICER)
    head = journey.service.head()

    again = Privacy(journey).erase("z1", OFFICER)

    assert (again.position, again.recorded, first.recorded) == (first.position, False, True)
    assert journey.service.head() == head
    with pytest.raises(UnknownError):
        Privacy(journey).erase("nobody", OFFICER)


def test_the_hold_rule_still_guards_the_erased_customers_invoices(journey, clock):
    Privacy(journey).erase("z1", OFFICER)
    clock.set(datetime(2024, 3, 1, 9, tzinfo=UTC))

    with pytest.raises(DunningRefusedError) as refused:
        journey.service.execute(c.DunInvoice("zi1"), BILLING)  # the dispute (its reason erased) holds

    assert refused.value.refusals[0].hold.cause == ERASED  # type: ignore[union-attr]
    journey.service.execute(c.ResolveDispute("z1", "zi1", "settled"), BILLING)
    assert journey.service.execute(c.DunInvoice("zi1"), BILLING).answer == {"level": 2}
    with pytest.raises(InvalidTransitionError):
        journey.service.execute(c.ChangeContactDetails("z1", email="back@example.org"), BILLING)


def test_the_erasure_event_holds_no_personal_data(journey):
    erasure = Privacy(journey).erase("z1", OFFICER)

    event = next(e for e, p in stream(journey) if p == erasure.position)
    assert type(event).__qualname__ == "Customer.PersonalDataErased"
    assert event.customer_id == "z1"
    assert event.by == Principal(Department.PRIVACY)
    assert b"dora" not in stored_states(journey)
