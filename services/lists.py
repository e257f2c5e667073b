"""Find and list: customers by name, email, phone or id; one invoice, complaint or order by its
id; the departments' worklists. Every answer is one snapshot and names its position; lists are
paged by an opaque cursor over an immutable sort key (``projections.lists``).

Waiting for ``min_position`` is the caller's (``Reads.caught_up`` or ``Reads.wait_for``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from domain.contact import Channel, Purpose
from domain.errors import UnknownError
from domain.values import aggregate_id
from projections import billing, customers, list_queries, lists, loyalty, marketing_model, support, worklists
from projections.batch import Doc
from projections.list_queries import ListPage, ListQuery
from services.cursors import decode_cursor, encode_cursor
from services.reads import Reads


class Lists:
    """Finding and listing over the read store the journey's reads use."""

    def __init__(self, reads: Reads) -> None:
        self.reads = reads

    def _today(self) -> date:
        return self.reads.clock.now().date()

    def _page(self, query: ListQuery, limit: int, cursor: str | None) -> tuple[ListPage, str | None]:
        after = decode_cursor(query.list, cursor) if cursor else None
        page = self.reads.store.read_list(self.reads.stream_name, replace(query, after=after), limit)
        return page, encode_cursor(query.list, page.last) if page.last else None

    def customers(self, q: str | None = None, *, limit: int = 100, cursor: str | None = None) -> Doc:
        """Customers in id order; with ``q``, those whose name or email contains it, whose id
        starts with it (case-insensitive) or whose phone contains its digits."""
        return worklists.customers_page(*self._page(list_queries.customer_search(q), limit, cursor))

    def open_complaints(
        self, product_group: str | None = None, min_age_days: int | None = None, *, limit: int = 100,
        cursor: str | None = None,
    ) -> Doc:
        """Support's worklist: complaints not resolved, oldest first, of ``product_group`` and
        filed at least ``min_age_days`` days ago when given."""
        today = self._today()
        page, next_cursor = self._page(list_queries.complaints_query(product_group, min_age_days, today), limit, cursor)
        return worklists.complaints_page(page, next_cursor, today)

    def in_collection(self, *, limit: int = 100, cursor: str | None = None) -> Doc:
        """Billing's worklist: invoices handed to collection and not settled, oldest due first."""
        page, next_cursor = self._page(ListQuery(lists.IN_COLLECTION), limit, cursor)
        return worklists.collection_page(page, next_cursor, self._today(), self.reads.policy)

    def receivables(self, bucket: str | None = None, *, limit: int = 100, cursor: str | None = None) -> Doc:
        """Billing's aged receivables: open invoices with a balance, oldest due first (of
        ``bucket`` when given), with the totals per bucket and currency."""
        today = self._today()
        page, next_cursor = self._page(list_queries.receivables_query(bucket, today), limit, cursor)
        return worklists.receivables_page(page, next_cursor, today, self.reads.policy)

    def outbox(self, channel: str | None = None, *, limit: int = 100, cursor: str | None = None) -> Doc:
        """The contacts made and not yet handed to the mailing tool of up to ``limit`` customers
        (in the order of their oldest such contact), of ``channel`` when given, each with the
        customer's contact data."""
        return marketing_model.outbox_page(*self._page(ListQuery(lists.OUTBOX), limit, cursor), channel)

    def contactable(
        self, channel: Channel, purpose: Purpose, *, only_allowed: bool = False, limit: int = 100, cursor: str | None = None,
    ) -> Doc:
        """Marketing's worklist: the customers consented to ``purpose`` by ``channel``, in
        customer id order, each with the contact rule's answer now (``only_allowed``: only
        those it allows). Found through the consented list, confirmed on one snapshot of the
        page's customers' documents, whose position the answer names."""
        page, next_cursor = self._page(list_queries.consented_query(str(channel), str(purpose)), limit, cursor)
        docs = self.reads.store.read_customers(self.reads.stream_name, [r.customer_id for r in page.rows],
                                               marketing_model.RULE_READS)
        return marketing_model.contactable_page(page, docs, channel, purpose, self.reads.clock.now(),
                                                self.reads.contact_policy, next_cursor, only_allowed=only_allowed)

    def campaigns(self) -> Doc:
        """Marketing's campaign outcomes: per campaign, its contacts by what came of them, and
        the reasons of its refusals, counted by the database over the campaign contacts' list."""
        position, counts = self.reads.store.read_counts(self.reads.stream_name, lists.CAMPAIGN_CONTACTS)
        return marketing_model.campaigns_summary(position, counts)

    def campaign(self, campaign: str, outcome: str | None = None, *, limit: int = 100, cursor: str | None = None) -> Doc:
        """One campaign's contacts (of ``outcome`` when given) in the order decided, with the
        campaign's outcomes counted in the same snapshot; unknown while it recorded none."""
        page, next_cursor = self._page(list_queries.campaign_query(campaign, outcome), limit, cursor)
        found = marketing_model.campaign_page(page, next_cursor, campaign, outcome)
        if not found["contacts_in_total"]:
            raise UnknownError("campaign", campaign)
        return found

    def card_holders(self, tier: str | None = None, *, limit: int = 100, cursor: str | None = None) -> Doc:
        """The loyalty card holders in customer id order, each with balance, tier and discount
        today; of ``tier`` when given."""
        page, next_cursor = self._page(list_queries.card_holders_query(tier), limit, cursor)
        return loyalty.card_holders_page(page, next_cursor, self._today(), tier)

    def _one(self, kind: str, natural_id: str, view: str, views: tuple[str, ...], shape: Callable[..., Doc | None]) -> Doc:
        key = aggregate_id(kind, natural_id).hex
        snapshot = self.reads.store.read_document(self.reads.stream_name, view, key, views)
        found = shape(snapshot, key)
        if found is None:
            raise UnknownError(kind, natural_id)
        return found

    def invoice(self, invoice_id: str) -> Doc:
        """One invoice as billing sees it, with the customer's contact data."""
        today, policy = self._today(), self.reads.policy
        return self._one("invoice", invoice_id, billing.VIEW, (customers.VIEW,),
                         lambda s, k: worklists.invoice_detail(s, k, today, policy))

    def complaint(self, complaint_id: str) -> Doc:
        """One complaint with its history and the customer's contact data."""
        today = self._today()
        return self._one("complaint", complaint_id, support.VIEW, (customers.VIEW,),
                         lambda s, k: worklists.complaint_detail(s, k, today))

    def order(self, order_id: str) -> Doc:
        """One order with its invoices, its complaints and the customer's contact data."""
        today, policy = self._today(), self.reads.policy
        return self._one("order", order_id, support.VIEW, (billing.VIEW, customers.VIEW),
                         lambda s, k: worklists.order_detail(s, k, today, policy))
