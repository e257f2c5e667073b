"""Erasing a person over HTTP (the privacy officer's ``DELETE /customers/{id}/personal-data``)
and from the command line (``journey erase``)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import cloudevent
from tests.e2e.test_cli import environment, run_journey

CE = {"Content-Type": "application/cloudevents+json"}
PRIVACY = {"X-Department": "privacy", "X-User": "dora"}
BILLING = {"X-Department": "billing", "X-User": "bea"}


def register(client, customer: str, name: str) -> None:
    data = {"name": name, "email": f"{customer}@example.org", "phone": "+43 1 234"}
    assert client.post("/events", headers=CE, json=cloudevent("customer.registered", customer, data, f"{customer}-r")
                       ).status_code == 202


def test_the_privacy_officer_erases_a_person_once_and_is_answered_the_same_again(client):
    register(client, "c1", "Ingrid Erasable")
    register(client, "c2", "Kept Person")

    erased = client.delete("/customers/c1/personal-data", headers=PRIVACY)
    again = client.delete("/customers/c1/personal-data", headers=PRIVACY)

    assert erased.status_code == again.status_code == 200, erased.text
    assert again.json() == erased.json() == {"customer_id": "c1", "position": erased.json()["position"], "erased": True}
    assert again.headers["Idempotent-Replayed"] == "true"
    position = erased.json()["position"]
    customer = client.get("/customers/c1/billing", params={"min_position": position}).json()["customer"]
    assert customer == {"customer_id": "c1", "name": "[erased]", "email": "[erased]", "phone": "[erased]",
                        "address": None, "erased": True}
    touchpoints = client.get("/customers/c1/journey").json()["touchpoints"]
    assert [t["type"] for t in touchpoints] == ["Customer.Registered", "Customer.PersonalDataErased"]
    assert touchpoints[-1]["actor"] == {"department": "privacy", "user": None, "source": None, "event_id": None}
    assert client.get("/customers/c2/billing").json()["customer"]["name"] == "Kept Person"


def test_erasing_needs_the_privacy_role_and_a_known_customer(client):
    register(client, "c1", "Ingrid Erasable")

    assert client.delete("/customers/c1/personal-data", headers=BILLING).status_code == 403
    unknown = client.delete("/customers/nobody/personal-data", headers=PRIVACY)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-customer"
    assert client.get("/customers/c1/billing").json()["customer"]["name"] == "Ingrid Erasable"


def test_journey_erase_erases_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/erase.sqlite"
    env = environment(url)
    assert run_journey("demo", "--customers", "3", env=env).returncode == 0

    erased = run_journey("erase", "c-00001", env=env)
    again = run_journey("erase", "c-00001", env=env)
    unknown = run_journey("erase", "nobody", env=env)

    assert erased.returncode == 0, erased.stderr
    assert "customer c-00001 erased at position" in erased.stdout
    position = erased.stdout.split("at position ")[1].split()[0]
    assert f"was erased before; key and files purged again at position {position}" in again.stdout
    assert unknown.returncode != 0 and "nobody" in unknown.stderr
