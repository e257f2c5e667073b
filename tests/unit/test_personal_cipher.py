"""The per-customer sealing of personal fields: tokens open only under their customer's key,
for their aggregate and field; a destroyed key reads as erased; a key cache forgets in time."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from adapters.data_keys import MemoryDataKeys
from adapters.personal_cipher import (
    DEVELOPMENT_MASTER_KEY,
    FieldCipher,
    KeyRing,
    MasterKeyError,
    TamperedError,
    new_master_key,
    parse_master_key,
)
from domain.customer import Customer
from domain.personal import ERASED
from domain.values import Department, Principal
from services.journey import JourneyApplication

MASTER = parse_master_key(new_master_key())
AGG = uuid4().bytes


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ring(store: MemoryDataKeys | None = None, master: bytes = MASTER, ttl: float = 5.0,
         clock: Ticking | None = None) -> KeyRing:
    return KeyRing(store or MemoryDataKeys(), master, ttl, clock=clock or Ticking())


def test_a_sealed_value_opens_under_its_customers_key_only_for_its_aggregate_and_field():
    cipher = FieldCipher(ring())
    token = cipher.encrypt(b'"Ada"', "c1", AGG, "name")

    assert token.startswith("enc1:c1:") and "Ada" not in token
    assert cipher.decrypt(token, AGG, "name") == b'"Ada"'
    with pytest.raises(TamperedError):
        cipher.decrypt(token, AGG, "email")  # moved to another field
    with pytest.raises(TamperedError):
        cipher.decrypt(token, uuid4().bytes, "name")  # moved to another aggregate
    other = cipher.encrypt(b'"Bob"', "c2", AGG, "name")
    with pytest.raises(TamperedError):  # sealed for c2, relabelled as c1's
        cipher.decrypt(other.replace("enc1:c2:", "enc1:c1:").replace(other.split(":")[2], token.split(":")[2]), AGG,
                       "name")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(TamperedError):
        cipher.decrypt(flipped, AGG, "name")


def test_stored_keys_do_not_open_under_another_master_key():
    store = MemoryDataKeys()
    token = FieldCipher(ring(store)).encrypt(b'"Ada"', "c1", AGG, "name")

    with pytest.raises(MasterKeyError):
        FieldCipher(ring(store, parse_master_key(new_master_key()))).decrypt(token, AGG, "name")
    assert store.wrapped(["c1"])["c1"] != b""  # wrapped, never the key itself
    assert len(store.wrapped(["c1"])["c1"]) == 12 + 32 + 16


def test_a_destroyed_key_reads_as_erased_here_at_once_and_elsewhere_within_the_cache_time():
    store, clock = MemoryDataKeys(), Ticking()
    here, elsewhere = ring(store, clock=clock), ring(store, clock=clock)
    token = FieldCipher(here).encrypt(b'"Ada"', "c1", AGG, "name")
    assert FieldCipher(elsewhere).decrypt(token, AGG, "name") == b'"Ada"'

    assert here.destroy("c1") is True
    assert here.destroy("c1") is False

    assert FieldCipher(here).decrypt(token, AGG, "name") is None
    assert FieldCipher(elsewhere).decrypt(token, AGG, "name") == b'"Ada"'  # cached, for at most ttl
    clock.now += 5.0
    assert FieldCipher(elsewhere).decrypt(token, AGG, "name") is None
    # New data of the customer gets a new key; what the old one sealed stays erased.
    fresh = FieldCipher(here).encrypt(b'"new"', "c1", AGG, "note")
    assert FieldCipher(here).decrypt(fresh, AGG, "note") == b'"new"'
    assert FieldCipher(here).decrypt(token, AGG, "name") is None


def test_master_keys_are_base64_of_32_bytes():
    assert len(parse_master_key(DEVELOPMENT_MASTER_KEY)) == 32
    with pytest.raises(MasterKeyError):
        parse_master_key(base64.b64encode(b"short").decode())
    with pytest.raises(MasterKeyError):
        parse_master_key("not base64 at all!")


def test_the_application_stores_personal_fields_sealed_and_reads_them_back_or_erased():
    app = JourneyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo", "JOURNEY_MASTER_KEY": new_master_key()})
    by = Principal(Department.SALES, user="sol")
    customer = Customer("c1", "Ada Lovelace", "ada@example.org", date(1815, 12, 10), datetime(2024, 1, 1, tzinfo=UTC), by,
                        phone=None, address="12 St James's Square")
    app.save(customer)

    [stored] = app.recorder.select_events(customer.id)
    assert b"Ada" not in stored.state and b"sol" not in stored.state and b"1815" not in stored.state
    assert b'"phone":null' in stored.state  # None is not personal data: left as it is
    read = app.repository.get(customer.id)
    assert (read.name, read.birthday, read.address) == ("Ada Lovelace", date(1815, 12, 10), "12 St James's Square")
    [event] = app.events.get(customer.id)
    assert event.by == by

    app.mapper.keys.destroy("c1")
    [event] = app.events.get(customer.id)
    assert (event.name, event.email, event.birthday, event.phone, event.address) == (ERASED, ERASED, ERASED, None, ERASED)
    assert event.by == Principal(Department.SALES, user=ERASED)
    assert app.repository.get(customer.id).name == ERASED  # the cached aggregate is not trusted


def test_plaintext_stored_before_sealing_was_introduced_reads_as_it_is():
    app = JourneyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    customer = Customer("c1", "Ada", "ada@example.org", None, datetime(2024, 1, 1, tzinfo=UTC), Principal(Department.SALES))
    [registered] = customer.collect_events()
    plain = super(type(app.mapper), app.mapper).to_stored_event(registered)  # as the library stored it

    assert b"Ada" in plain.state
    assert app.mapper.to_domain_event(plain).name == "Ada"


def test_postgresql_needs_a_master_key_and_sqlite_falls_back_to_the_development_key(monkeypatch, caplog):
    from pydantic import ValidationError

    from services.settings import Settings

    monkeypatch.delenv("JOURNEY_MASTER_KEY", raising=False)
    with pytest.raises(ValidationError, match="required with PostgreSQL"):
        Settings(database_url="postgresql://journey@db/journey")
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(database_url="sqlite:///x.sqlite", master_key=base64.b64encode(b"short").decode())
    assert Settings(database_url="sqlite:///x.sqlite").master_key is None
    JourneyApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    assert "DEVELOPMENT master key" in caplog.text


class CountingKeys(MemoryDataKeys):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def wrapped(self, customer_ids):  # type: ignore[no-untyped-def]
        self.lookups += 1
        return super().wrapped(customer_ids)


def test_a_page_decodes_as_its_events_one_by_one_with_one_key_lookup_and_erasures_honoured():
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo", "JOURNEY_MASTER_KEY": new_master_key()}
    writer = JourneyApplication(env=env)
    by = Principal(Department.SALES, user="sol")
    customers = [
        Customer(f"c{i}", f"Person {i}", f"p{i}@example.org", None, datetime(2024, 1, 1, tzinfo=UTC), by)
        for i in range(5)
    ]
    writer.save(*customers)
    page = writer.recorder.select_notifications(start=1, limit=10)
    writer.mapper.keys.destroy("c3")

    keys = CountingKeys()
    keys.add_missing(list(writer.mapper.keys.store.wrapped([c.customer_id for c in customers]).items()), datetime.now(UTC))
    reader = JourneyApplication(env=env)
    reader.mapper.keys.store = keys

    events = reader.mapper.to_domain_events(page)

    assert keys.lookups == 1
    assert [(e.customer_id, e.name, e.by.user) for e in events] == [
        (f"c{i}", ERASED if i == 3 else f"Person {i}", ERASED if i == 3 else "sol") for i in range(5)
    ]
    assert [vars(e) for e in events] == [vars(writer.mapper.to_domain_event(n)) for n in page]
