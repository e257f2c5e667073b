"""The loyalty card over HTTP (every answer checked against OpenAPI) and its daily expiry job."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.e2e.conftest import cloudevent
from tests.e2e.test_cli import environment, run_journey

CE = {"Content-Type": "application/cloudevents-batch+json"}
SALES = {"X-Department": "sales", "X-User": "sol"}
BILLING = {"X-Department": "billing", "X-User": "bea"}


def test_a_card_holder_earns_on_paying_redeems_and_every_department_sees_one_card(client):
    enrolled = client.post("/customers/c1/loyalty-card", headers=SALES)
    assert enrolled.status_code == 404 and enrolled.json()["code"] == "unknown-customer"
    shop = client.post("/events", headers=CE, json=[
        cloudevent("customer.registered", "c1", {"name": "Kim", "email": "kim@example.org"}, "e1"),
        cloudevent("order.placed", "c1", {"order_id": "O1", "currency": "EUR", "lines": [
            {"sku": "DRILL", "product_group": "power-tools", "quantity": 1, "unit_price": "640.00"}]}, "e2"),
        cloudevent("invoice.issued", "c1", {"invoice_id": "I1", "order_id": "O1", "amount": "640.00",
                                            "currency": "EUR", "due_date": "2026-03-30"}, "e3")])
    assert shop.status_code == 202, shop.text
    assert client.post("/customers/c1/loyalty-card", headers=SALES).status_code == 201
    again = client.post("/customers/c1/loyalty-card", headers=SALES)
    assert again.status_code == 409 and again.json()["code"] == "loyalty-card-exists"
    paid = client.post("/events", headers=CE, json=[
        cloudevent("payment.received", "c1", {"invoice_id": "I1", "amount": "640.00", "currency": "EUR"}, "e4")])
    position = paid.json()["position"]

    card = client.get("/customers/c1/loyalty", headers=SALES, params={"min_position": position}).json()
    assert (card["balance"], card["tier"], card["discount_percent"], card["points_to_next_tier"]) == (640, "silver", 3, 1360)
    redeemed = client.post("/customers/c1/loyalty-card/redemptions", headers=SALES,
                           json={"points": 600, "reward": "voucher-30"})
    too_much = client.post("/customers/c1/loyalty-card/redemptions", headers=SALES,
                           json={"points": 41, "reward": "voucher-2"})
    assert redeemed.status_code == 201
    assert too_much.status_code == 409 and too_much.json()["code"] == "not-enough-points"
    views = client.get("/customers/c1/views", headers=BILLING, params={"min_position": redeemed.json()["position"]}).json()
    assert views["loyalty"]["balance"] == 40 and views["loyalty"]["position"] == views["position"]
    assert views["loyalty"]["history"][-1]["reward"] == "voucher-30"
    holders = client.get("/worklists/loyalty", headers=SALES, params={"tier": "silver"})
    assert holders.status_code == 200, holders.text
    [member] = holders.json()["members"]
    assert (member["customer_id"], member["balance"], member["tier"], member["customer"]["name"]) == ("c1", 40, "silver", "Kim")
    assert client.get("/worklists/loyalty", headers=SALES, params={"tier": "gold"}).json()["members"] == []
    assert client.get("/worklists/loyalty", headers=SALES, params={"tier": "platinum"}).status_code == 422
    assert client.get("/customers/nobody/loyalty", headers=SALES).status_code == 404
    # A raffle among the card holders: announced, drawn once on its day, checkable by anyone.
    announced = client.post("/loyalty/raffles", headers=SALES, json={"prize": "voucher-50", "prizes": 1,
                                                                     "draw_on": "2026-03-02"})
    raffle_id = announced.json()["raffle_id"]
    before = client.get(f"/loyalty/raffles/{raffle_id}", headers=SALES).json()
    drawn = client.post(f"/loyalty/raffles/{raffle_id}/draw", headers=SALES)
    again = client.post(f"/loyalty/raffles/{raffle_id}/draw", headers=SALES)
    after = client.get(f"/loyalty/raffles/{raffle_id}", headers=SALES).json()
    assert announced.status_code == 201 and (before["entrants"], before["odds"], before["drawn"]) == (1, "1/1", False)
    assert drawn.status_code == 201 and drawn.json()["winners"] == ["c1"]
    assert again.status_code == 409 and again.json()["code"] == "raffle-drawn"
    assert (after["verified"], after["winners"], after["seed"]) == (True, ["c1"], drawn.json()["seed"])
    assert client.get("/loyalty/raffles/R-404", headers=SALES).status_code == 404


def test_the_expiry_job_lets_old_points_go_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/loyalty.sqlite"
    env = environment(url, JOURNEY_CLOCK="2026-03-10T09:00:00+00:00")
    assert run_journey("demo", "--customers", "5", env=env).returncode == 0
    from domain import commands as c  # noqa: PLC0415
    from domain.values import Department, Money, OrderLine, Principal  # noqa: PLC0415
    from services.bootstrap import bootstrap  # noqa: PLC0415 -- after the demo wrote the store
    from services.settings import Settings  # noqa: PLC0415

    journey = bootstrap(Settings(database_url=url, clock="2026-03-10T09:00:00+00:00"))
    try:
        journey.service.execute(c.EnrollInLoyalty("c-00001"), Principal(Department.SALES, user="sol"))
        sales, billing = Principal(Department.SALES), Principal(Department.BILLING)
        journey.service.execute(c.RegisterCustomer("k1", "Kim", "kim@example.org"), sales)
        journey.service.execute(c.EnrollInLoyalty("k1"), sales)
        journey.service.execute(c.PlaceOrder("k1", "O-k1", (OrderLine("DRILL", "tools", 1, Decimal(99)),), "EUR"), sales)
        journey.service.execute(c.IssueInvoice("k1", "I-k1", "O-k1", Money(Decimal(99), "EUR"), date(2026, 3, 20)), billing)
        journey.service.execute(c.ReceivePayment("k1", "I-k1", Money(Decimal(99), "EUR")), billing)  # 99 points
    finally:
        journey.close()

    early = run_journey("loyalty", "expire", "--today", "2027-03-10", env=env)  # their last day
    first = run_journey("loyalty", "expire", "--today", "2027-06-01", env=env)
    second = run_journey("loyalty", "expire", "--today", "2027-06-01", env=env)

    assert early.returncode == first.returncode == second.returncode == 0, first.stderr
    assert "2 card holders: points expired on 0 cards" in early.stdout
    assert "2 card holders: points expired on 1 cards" in first.stdout
    assert "2 card holders: points expired on 0 cards" in second.stdout
