"""The published contract stays in step with the code: event catalogue and OpenAPI."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from adapters.schemas import EVENT_TYPES
from domain.complaint import Complaint
from domain.contact_book import ContactBook
from domain.customer import Customer
from domain.invoice import Invoice
from domain.loyalty_card import LoyaltyCard
from domain.order import Order
from domain.raffle import Raffle
from services import catalogue

ROOT = Path(__file__).resolve().parents[2]
AGGREGATES = {"Customer": Customer, "Order": Order, "Invoice": Invoice, "Complaint": Complaint,
              "ContactBook": ContactBook, "LoyaltyCard": LoyaltyCard, "Raffle": Raffle}


def test_the_event_catalogue_is_generated_from_the_schemas() -> None:
    committed = (ROOT / "docs" / "events.md").read_text()
    assert committed == catalogue.render(), "run: python -m services.catalogue > docs/events.md"


def test_every_catalogued_event_names_a_real_domain_event() -> None:
    assert set(catalogue.STORED_AS) == set(EVENT_TYPES)
    names = [n for v in catalogue.STORED_AS.values() for n in v.replace("(+ ", "").replace(")", "").split()]
    names += [n for _, v, _ in catalogue.DEPARTMENT_EVENTS for n in v.replace("(+ ", "").replace(")", "").split()]
    for name in names:
        aggregate, event = name.split(".")
        assert isinstance(getattr(AGGREGATES[aggregate], event, None), type), name


def test_openapi_documents_every_endpoint_of_the_contract(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/events", "/invoices/{invoice_id}/deferrals", "/invoices/{invoice_id}/corrected-invoices",
            "/complaints/{complaint_id}/resolution", "/invoices/{invoice_id}/dunning",
            "/customers/{customer_id}/journey", "/customers/{customer_id}/billing",
            "/customers/{customer_id}/support", "/customers/{customer_id}/views",
            "/dunning/candidates"} <= set(paths)
    assert client.get("/docs").status_code == 200
