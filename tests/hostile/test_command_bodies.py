"""Every department command, its JSON body fuzzed (fields dropped, of wrong types, huge, odd or
extra; bodies that are not objects or not JSON), on the story's invoice, complaint and customer
or on odd ids, by a role allowed for it: never a 5xx, a refused command stores nothing, a
replayed one (same Idempotency-Key) stores nothing again. On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from services.api.app import ROUTERS
from services.api.auth import allowed_roles, route_permissions
from tests.hostile.conftest import EXAMPLES, KNOWN, Tally, hostile_settings, sent, tell_story
from tests.hostile.strategies import hostile_values, odd_strings
from tests.support.auth import KeyedClient

#: A valid body of every department command (None: the command takes none).
BODIES: dict[str, dict[str, Any] | None] = {
    "/complaints": {"customer_id": "c1", "order_id": "O1", "product_group": "tools", "text": "it smokes"},
    "/complaints/{complaint_id}/answers": {"text": "a replacement is on its way"},
    "/complaints/{complaint_id}/resolution": {"note": "replaced"},
    "/customers/{customer_id}/credit-offsets": {"currency": "EUR"},
    "/customers/{customer_id}/consents": {"channel": "email", "purpose": "marketing", "source": "web-form"},
    "/customers/{customer_id}/consents/confirmation": {"channel": "email", "purpose": "marketing"},
    "/customers/{customer_id}/consents/withdrawal": {"channel": "sms", "purpose": "events", "source": "call"},
    "/customers/{customer_id}/contacts": {"channel": "letter", "purpose": "service", "message": "welcome",
                                          "campaign": "welcome", "occasion": "first"},
    "/customers/{customer_id}/inbound-contacts": {"contact_id": "IN-1", "channel": "phone", "note": "called"},
    "/outbox/acknowledgements": {"contacts": [{"customer_id": "c1", "contact_id": "K-1"}]},
    "/customers/{customer_id}/loyalty-card": None,
    "/customers/{customer_id}/loyalty-card/redemptions": {"points": 10, "reward": "voucher-5"},
    "/loyalty/raffles": {"prize": "drill", "prizes": 1, "draw_on": "2026-03-02", "raffle_id": "R-1"},
    "/loyalty/raffles/{raffle_id}/draw": None,
    "/invoices/{invoice_id}/collection": None,
    "/invoices/{invoice_id}/corrected-invoices": {"note": "itemised", "amount": "90.00", "due_date": "2026-04-01"},
    "/invoices/{invoice_id}/credit-notes": {"amount": "5.00", "currency": "EUR", "reason": "goodwill"},
    "/invoices/{invoice_id}/deferrals": {"until": "2026-03-25", "reason": "salary on the 25th"},
    "/invoices/{invoice_id}/deferrals/{number}/revocation": {"reason": "paid meanwhile"},
    "/invoices/{invoice_id}/deferrals/{number}/shortening": {"until": "2026-03-10", "reason": "customer asked"},
    "/invoices/{invoice_id}/detailed-invoice-requests": {"note": "itemise the bits"},
    "/invoices/{invoice_id}/dispute-resolution": {"resolution": "found in the parcel"},
    "/invoices/{invoice_id}/disputes": {"reason": "never delivered"},
    "/invoices/{invoice_id}/dunning": None,
    "/invoices/{invoice_id}/payments": {"amount": "10.00", "currency": "EUR"},
    "/invoices/{invoice_id}/write-offs": {"reason": "uncollectable"},
    "/orders": {"customer_id": "c1", "currency": "EUR", "lines": [
        {"sku": "BIT", "product_group": "tools", "quantity": 2, "unit_price": "3.50"}]},
}
COMMANDS = {path: permissions for (method, path), permissions in route_permissions(ROUTERS).items()
            if method == "POST" and path != "/events" and not path.startswith("/admin/")}
ODD_NUMBERS = ["0", "2", "-1", "99999999999999999999", "1.0", "one", " 1", "%31"]


def test_every_department_command_has_a_body_to_fuzz() -> None:
    assert set(BODIES) == set(COMMANDS)


@st.composite
def bodies(draw: st.DrawFn, valid: dict[str, Any] | None) -> bytes:
    """``valid`` as it is, broken in a field or two, or replaced by any JSON value or bytes."""
    how = draw(st.sampled_from(["valid", "valid", "valid", "fields", "fields", "fields", "value", "bytes"]))
    if how == "bytes":
        return draw(st.binary(max_size=64))
    if how == "value" or valid is None:
        return json.dumps(draw(hostile_values)).encode()
    body = copy.deepcopy(valid)
    for _ in range(draw(st.integers(0 if how == "valid" else 1, 0 if how == "valid" else 2))):
        field = draw(st.sampled_from(sorted(body)) | st.text(max_size=10) if body else st.text(max_size=10))
        if field in body and draw(st.booleans()):
            del body[field]
        else:
            body[field] = draw(hostile_values)
    return json.dumps(body).encode()


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    """A command: its route, the path with the story's or odd ids, its headers, its body."""
    template = draw(st.sampled_from(sorted(COMMANDS)))
    path = template
    for name, known in KNOWN.items():
        if "{" + name + "}" in path:
            odd = st.sampled_from(ODD_NUMBERS) if name == "number" else odd_strings.filter(lambda s: 0 < len(s) < 3000)
            value = known if draw(st.integers(0, 3)) else draw(odd)
            path = path.replace("{" + name + "}", quote(value.encode("utf-8", "surrogatepass"), safe=""))
    media = draw(st.sampled_from(["application/json"] * 5 + ["text/plain", "application/json; charset=latin-1"]))
    headers = {"Content-Type": media}
    key = draw(st.sampled_from([None, None, None, "retry-1", "retry-2"]) | st.text(
        st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
    if key is not None:
        headers["Idempotency-Key"] = key
    return template, path, headers, draw(bodies(BODIES[template]))


def test_no_command_body_meets_a_server_error_and_a_refused_one_stores_nothing(
    client: KeyedClient, tally: Tally
) -> None:
    keys = client.keyring
    tell_story(client, keys.headers("integrator"), keys.headers("support"))
    journey = client.app.state.journey
    accepted: list[str] = []

    @hostile_settings(EXAMPLES * 20)
    @given(command=commands(), role=st.integers(0, 1))
    def command_is_answered(command: tuple[str, str, dict[str, str], bytes], role: int) -> None:
        template, path, headers, body = command
        roles = allowed_roles(COMMANDS[template])
        caller = keys.headers(roles[role % len(roles)])
        with tally.timed("command-bodies"):
            answer = sent(tally, "command-bodies", journey,
                          lambda: client.post(path, content=body, headers={**headers, **caller}))
        if answer.status < 300 and answer.response.headers.get("Idempotent-Replayed") == "true":
            assert answer.after == answer.before  # a replay stores nothing again
        elif answer.status < 300:
            accepted.append(template)

    command_is_answered()

    assert len(set(accepted)) >= 5, f"too few commands were accepted to reach the domain: {sorted(set(accepted))}"
