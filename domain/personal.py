"""Which event fields hold personal data.

Contact data (name, email, birthday, phone, address) and every free text a person or an
employee wrote (complaint texts, notes, reasons, dispute resolutions) are personal. Everything
else an event carries (ids, amounts, dates, levels, product groups, order lines, channels and
purposes of consents and contacts, the label of a consent's source, a campaign's message name and
occasion, a refusal's reason codes) is not: it may
leave the service, e.g. on the relayed Kafka topic, and must still replay after a person is
erased. The staff member who acted (``by.user``) is personal too; the department is not.

Every field of every event type is classified here, so a new field cannot slip out unnoticed:
a test fails until it is named in one of the two sets.
"""

from __future__ import annotations

#: Fields holding personal data: never published outside the store with the event.
PERSONAL_FIELDS = frozenset(
    {"name", "email", "birthday", "phone", "address", "text", "note", "reason", "resolution"}
)

#: Fields holding no personal data.
NOT_PERSONAL_FIELDS = frozenset(
    {
        "customer_id", "invoice_id", "order_id", "complaint_id", "product_group", "amount", "currency",
        "due_date", "until", "number", "level", "lines", "whole", "to_invoice", "from_invoice", "at",
        "by", "checked", "channel", "purpose", "source", "expires_on", "confirmed", "caps", "quiet_hours",
        "preferred_channel", "contact_id", "campaign", "occasion", "message", "reasons", "points", "lots", "reward", "cause",
        "raffle_id", "prize", "prizes", "draw_on", "seed", "entrants", "winners",
    }
)

#: The envelope eventsourcing adds to every event: identity and order, not content.
ENVELOPE_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})

#: What a personal field reads as once its person was erased (the customer's data key destroyed):
#: the same string whatever the field's type, so that every view, export and replay shows it.
ERASED = "[erased]"
