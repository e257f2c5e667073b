"""Who may see and do what: roles, their permissions, and what each role is shown.

Every API route names the permissions it needs; a credential carries one role; a role grants a
fixed set of permissions (least privilege: each department gets what its work needs, the
auditor reads everything and writes nothing, the privacy officer exports and erases a person's
data, the admin manages keys and sees no customer data).
``docs/security.md`` is generated from these tables and the routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from domain.personal import PERSONAL_FIELDS
from domain.values import Department


class Role(StrEnum):
    """What a credential is for."""

    INTEGRATOR = "integrator"
    BILLING = "billing"
    SUPPORT = "support"
    SALES = "sales"
    MARKETING = "marketing"
    AUDITOR = "auditor"
    PRIVACY = "privacy"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a route lets its caller do."""

    PUBLISH_EVENTS = "publish-events"
    RECORD_ORDERS = "record-orders"
    HANDLE_COMPLAINTS = "handle-complaints"
    REQUEST_DETAILED_INVOICES = "request-detailed-invoices"
    GRANT_DEFERRALS = "grant-deferrals"
    HANDLE_DISPUTES = "handle-disputes"
    CORRECT_INVOICES = "correct-invoices"
    MANAGE_RECEIVABLES = "manage-receivables"
    DUN = "dun"
    READ_CUSTOMERS = "read-customers"
    READ_JOURNEY = "read-journey"
    READ_BILLING = "read-billing"
    READ_SUPPORT = "read-support"
    READ_ORDERS = "read-orders"
    READ_DUNNING_WORKLISTS = "read-dunning-worklists"
    READ_ACCESS_LOG = "read-access-log"
    MANAGE_KEYS = "manage-keys"
    READ_CONFIGURATION = "read-configuration"
    READ_AUDIT = "read-audit"
    EXPORT_PERSONAL_DATA = "export-personal-data"
    ERASE_PERSONAL_DATA = "erase-personal-data"
    RECORD_CONSENTS = "record-consents"
    CONTACT_CUSTOMERS = "contact-customers"
    READ_MARKETING = "read-marketing"
    READ_OUTBOX = "read-outbox"
    ACKNOWLEDGE_OUTBOX = "acknowledge-outbox"
    READ_LOYALTY = "read-loyalty"
    MANAGE_LOYALTY = "manage-loyalty"


P = Permission
_READ_ALL = frozenset(p for p in Permission if p.value.startswith("read-") and p is not P.READ_CONFIGURATION)

#: The permissions of each role. Nothing is granted by default.
GRANTS: Mapping[Role, frozenset[Permission]] = {
    # An integrator publishes touchpoints; a mailing tool is one: it reads the outbox and
    # acknowledges what it took (delivery results come back as CloudEvents).
    Role.INTEGRATOR: frozenset({P.PUBLISH_EVENTS, P.READ_OUTBOX, P.ACKNOWLEDGE_OUTBOX}),
    Role.BILLING: frozenset({
        P.MANAGE_RECEIVABLES, P.DUN, P.CORRECT_INVOICES, P.GRANT_DEFERRALS, P.HANDLE_DISPUTES,
        P.REQUEST_DETAILED_INVOICES, P.READ_CUSTOMERS, P.READ_JOURNEY, P.READ_BILLING, P.READ_SUPPORT,
        P.READ_ORDERS, P.READ_DUNNING_WORKLISTS, P.READ_MARKETING, P.CONTACT_CUSTOMERS, P.READ_LOYALTY,
    }),
    Role.SUPPORT: frozenset({
        P.HANDLE_COMPLAINTS, P.REQUEST_DETAILED_INVOICES, P.GRANT_DEFERRALS, P.HANDLE_DISPUTES, P.RECORD_ORDERS,
        P.READ_CUSTOMERS, P.READ_JOURNEY, P.READ_BILLING, P.READ_SUPPORT, P.READ_ORDERS, P.READ_MARKETING,
        P.RECORD_CONSENTS, P.CONTACT_CUSTOMERS, P.READ_LOYALTY, P.MANAGE_LOYALTY,
    }),
    Role.SALES: frozenset({
        P.RECORD_ORDERS, P.READ_CUSTOMERS, P.READ_JOURNEY, P.READ_ORDERS, P.READ_MARKETING, P.RECORD_CONSENTS,
        P.CONTACT_CUSTOMERS, P.READ_LOYALTY, P.MANAGE_LOYALTY,
    }),
    Role.MARKETING: frozenset({
        P.READ_CUSTOMERS, P.READ_JOURNEY, P.READ_MARKETING, P.RECORD_CONSENTS, P.CONTACT_CUSTOMERS, P.READ_OUTBOX,
        P.ACKNOWLEDGE_OUTBOX, P.READ_LOYALTY, P.MANAGE_LOYALTY,
    }),
    Role.AUDITOR: _READ_ALL,
    # The data protection officer answers a person's requests: a copy of everything (right of
    # access) and erasure of the personal data (right to be forgotten); no department work.
    Role.PRIVACY: frozenset({P.EXPORT_PERSONAL_DATA, P.ERASE_PERSONAL_DATA}),
    Role.ADMIN: frozenset({P.MANAGE_KEYS, P.READ_CONFIGURATION}),
}

#: The department a role acts as on the events it records; the admin records none.
DEPARTMENTS: Mapping[Role, Department] = {
    role: Department(role.value) for role in Role if role.value in {d.value for d in Department}
}


def missing(role: Role, needed: Iterable[Permission]) -> list[Permission]:
    """The permissions in ``needed`` that ``role`` lacks, in the order asked."""
    granted = GRANTS[role]
    return [permission for permission in needed if permission not in granted]


#: Touchpoints whose data are payment details: amounts paid, credited, written off or moved, and
#: how the customer pays (promises to pay later, dunning, collection).
PAYMENT_TOUCHPOINTS = frozenset({
    "Invoice.PaymentReceived", "Invoice.CreditNoteIssued", "Invoice.WrittenOff",
    "Invoice.CreditTransferred", "Invoice.CreditApplied", "Invoice.PaymentDeferralGranted",
    "Invoice.DeferralRevoked", "Invoice.DeferralShortened", "Invoice.DunningLevelReached",
    "Invoice.HandedToCollection",
})

#: Free texts (complaint texts, notes, reasons, resolutions): personal, and not marketing's business.
FREE_TEXT_FIELDS = PERSONAL_FIELDS & frozenset({"text", "note", "reason", "resolution"})

#: What a role is not shown in a customer's journey.
HIDDEN_IN_JOURNEY: Mapping[Role, tuple[frozenset[str], frozenset[str]]] = {
    # (touchpoint types whose data and summary are hidden, data fields hidden in every touchpoint)
    Role.MARKETING: (PAYMENT_TOUCHPOINTS, FREE_TEXT_FIELDS),
}

HIDDEN = "hidden"


def visible_touchpoint(role: Role, touchpoint: dict[str, Any]) -> dict[str, Any]:
    """``touchpoint`` as ``role`` may see it: hidden fields are named in ``hidden``, not shown;
    the staff member who acted (personal) is not named either."""
    rule = HIDDEN_IN_JOURNEY.get(role)
    if rule is None:
        return touchpoint
    actor = touchpoint.get("actor")
    if isinstance(actor, dict) and actor.get("user") is not None and actor.get("department") != "integrator":
        touchpoint = {**touchpoint, "actor": {**actor, "user": None}}
    hidden_types, hidden_fields = rule
    data: dict[str, Any] = touchpoint.get("data") or {}
    if touchpoint.get("type") in hidden_types:
        gone = sorted(data)
        shown: dict[str, Any] = {**touchpoint, "data": {}, "summary": None}
    else:
        gone = sorted(hidden_fields & data.keys())
        if not gone:
            return touchpoint
        shown = {**touchpoint, "data": {k: v for k, v in data.items() if k not in hidden_fields}}
        if touchpoint.get("summary") is not None:
            shown["summary"] = None
    if gone:
        shown["data"] = {**shown["data"], HIDDEN: gone}
    return shown
