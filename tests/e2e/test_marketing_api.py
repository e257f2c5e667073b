"""The marketing story over HTTP: consents from the shop (CloudEvents) and from staff, the
customer's preferences, contacts checked by the contact rule, the outbox a mailing tool reads
and acknowledges, delivery results back as touchpoints; every answer checked against OpenAPI."""

from __future__ import annotations

from tests.e2e.conftest import cloudevent

CE = {"Content-Type": "application/cloudevents+json"}
MARKETING = {"X-Department": "marketing", "X-User": "mia"}
BILLING = {"X-Department": "billing", "X-User": "bea"}
MAILER = {"X-Department": "integrator"}


def publish(client, type_: str, data: dict, id_: str, subject: str = "c1") -> int:
    answer = client.post("/events", headers=CE, json=cloudevent(type_, subject, data, id_))
    assert answer.status_code == 202, answer.text
    return answer.json()["position"]


def story_customer(client) -> int:
    """Max's consents and preferences; the position of the last."""
    publish(client, "customer.registered", {"name": "Max Muster", "email": "max@example.org"}, "r1")
    publish(client, "consent.given", {"channel": "email", "purpose": "newsletter", "source": "web-form"}, "g1")
    publish(client, "consent.confirmed", {"channel": "email", "purpose": "newsletter"}, "g2")
    return publish(client, "contact.preferences_set", {"caps": [{"limit": 2, "days": 7}], "preferred_channel": "email",
                                                      "quiet_hours": {"start": "21:00", "end": "08:00",
                                                                      "timezone": "Europe/Berlin"}}, "p1")


def test_a_newsletter_goes_from_the_contact_rule_through_the_outbox_to_the_customers_journey(client):
    story_customer(client)
    letters = client.post("/customers/c1/consents", headers=MARKETING,
                          json={"channel": "letter", "purpose": "marketing", "source": "store-vienna"})
    assert letters.status_code == 201, letters.text

    sent = client.post("/customers/c1/contacts", headers=MARKETING, json={
        "channel": "email", "purpose": "newsletter", "message": "march-newsletter", "campaign": "newsletter",
        "occasion": "2026-03", "contact_id": "K-1"})
    refused = client.post("/customers/c1/contacts", headers=MARKETING,
                          json={"channel": "sms", "purpose": "marketing", "message": "flash-sale"})
    again = client.post("/customers/c1/contacts", headers=MARKETING, json={
        "channel": "letter", "purpose": "marketing", "message": "x", "campaign": "newsletter", "occasion": "2026-03"})

    assert sent.status_code == 201 and sent.json()["allowed"] and sent.json()["reasons"] == []
    assert refused.status_code == 201 and not refused.json()["allowed"]
    assert [r["code"] for r in refused.json()["reasons"]] == ["no-consent"]
    assert again.status_code == 409 and again.json()["code"] == "occasion-decided"
    # The mailing tool reads the outbox, takes the newsletter, acknowledges it (twice: the same).
    outbox = client.get("/outbox", headers=MAILER, params={"min_position": refused.json()["position"]})
    assert outbox.status_code == 200
    [item] = outbox.json()["contacts"]
    assert (item["contact_id"], item["message"], item["recipient"]["email"]) == ("K-1", "march-newsletter",
                                                                                  "max@example.org")
    acked = client.post("/outbox/acknowledgements", headers=MAILER,
                        json={"contacts": [{"customer_id": "c1", "contact_id": "K-1"}]})
    repeated = client.post("/outbox/acknowledgements", headers=MAILER,
                           json={"contacts": [{"customer_id": "c1", "contact_id": "K-1"}]})
    assert acked.status_code == 201 and acked.json()["acknowledged"] == ["K-1"]
    assert repeated.status_code == 200 and repeated.json()["acknowledged"] == []
    assert client.get("/outbox", headers=MAILER, params={"min_position": acked.json()["position"]}
                      ).json()["contacts"] == []
    publish(client, "contact.delivered", {"contact_id": "K-1"}, "d1")
    opened = publish(client, "contact.opened", {"contact_id": "K-1"}, "o1")
    # Marketing's view, and the same at one position with billing and support.
    view = client.get("/customers/c1/marketing", headers=MARKETING, params={"min_position": opened}).json()
    assert [(c["contact_id"], c["status"]) for c in view["contacts"]] == [("K-1", "opened"),
                                                                         (refused.json()["contact_id"], "refused")]
    newsletter = next(x for x in view["contactability"] if (x["channel"], x["purpose"]) == ("email", "newsletter"))
    assert newsletter["allowed"]  # 09:00 UTC is 10:00 in Berlin, outside his quiet hours; one of two this week
    assert view["preferences"]["quiet_hours"] == {"start": "21:00", "end": "08:00", "timezone": "Europe/Berlin"}
    worklist = client.get("/worklists/contactable", headers=MARKETING,
                          params={"channel": "email", "purpose": "newsletter", "only_allowed": "true"}).json()
    assert [x["customer"]["customer_id"] for x in worklist["customers"]] == ["c1"]
    assert client.get("/worklists/contactable", headers=MARKETING, params={"channel": "fax", "purpose": "newsletter"}
                      ).status_code == 422
    outcomes = client.get("/worklists/campaigns", headers=MARKETING).json()
    assert outcomes["campaigns"] == [{"campaign": "newsletter", "contacts": 1, "reasons": {}, "outcomes": {
        "made": 0, "refused": 0, "handed-over": 0, "delivered": 0, "bounced": 0, "opened": 1, "cancelled": 0}}]
    opened_ones = client.get("/worklists/campaigns/newsletter", headers=MARKETING, params={"outcome": "opened"}).json()
    assert [(x["customer_id"], x["contact_id"], x["occasion"]) for x in opened_ones["contacts"]] == [("c1", "K-1", "2026-03")]
    assert client.get("/worklists/campaigns/newsletter", headers=MARKETING, params={"outcome": "lost"}).status_code == 422
    unknown = client.get("/worklists/campaigns/spring-sale", headers=MARKETING)
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-campaign"
    assert client.get("/worklists/campaigns/newsletter", headers=MAILER).status_code == 403
    views = client.get("/customers/c1/views", headers=BILLING).json()
    assert views["marketing"]["contacts"] == view["contacts"] and views["marketing"]["position"] == views["position"]
    summaries = [t["summary"] for t in client.get("/customers/c1/journey", headers=MARKETING).json()["touchpoints"]]
    assert "newsletter contact K-1 by email: march-newsletter (newsletter)" in summaries
    assert summaries[-2:] == ["contact K-1 delivered", "contact K-1 opened"]


def test_bad_contact_input_is_refused_clearly_and_stores_nothing(client):
    told = story_customer(client)
    head = client.get("/customers/c1/journey", headers=MARKETING, params={"min_position": told}).json()["position"]

    bad_zone = client.post("/events", headers=CE, json=cloudevent(
        "contact.preferences_set", "c1", {"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Mars/Base"}},
        "bad-1"))
    bad_channel = client.post("/customers/c1/contacts", headers=MARKETING,
                              json={"channel": "pigeon", "purpose": "marketing", "message": "x"})
    bad_time = client.put("/customers/c1/contact-preferences", headers=MARKETING,
                          json={"quiet_hours": {"start": "25:00", "end": "07:00"}})
    forbidden = client.put("/customers/c1/contact-preferences", headers=BILLING, json={})
    unknown = client.post("/customers/nobody/contacts", headers=MARKETING,
                          json={"channel": "email", "purpose": "service", "message": "x"})
    unknown_ack = client.post("/outbox/acknowledgements", headers=MAILER,
                              json={"contacts": [{"customer_id": "c1", "contact_id": "K-404"}]})
    not_made = client.post("/events", headers=CE, json=cloudevent("contact.delivered", "c1", {"contact_id": "K-9"},
                                                                  "bad-2"))

    assert bad_zone.status_code == 422 and bad_zone.json()["code"] == "invalid-event-data"
    assert "unknown time zone" in bad_zone.text
    assert bad_channel.status_code == 422 and bad_channel.json()["code"] == "invalid-request"
    assert bad_time.status_code == 422
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-customer"
    assert unknown_ack.status_code == 422 and unknown_ack.json()["code"] == "unknown-contact"
    assert not_made.status_code == 422 and not_made.json()["code"] == "unknown-contact"
    assert client.get("/customers/c1/journey", headers=MARKETING).json()["position"] == head
