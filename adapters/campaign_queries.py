"""What the campaign policies ask the read store: customers found through the list table's rows
(birthdays on the customers list, orders and deliveries, complaints per product group), then
their documents in one snapshot. A mixin of the read stores (adapters/read_store.py).

Each finding query is one statement over one list (``projections.lists``): birthdays and
deliveries by the ``(list, day, ...)`` index, the others a ``GROUP BY`` over the list's rows,
done by the database (one row per customer comes back, not one per order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.documents import load_doc
from adapters.lists_table import chunks
from projections.batch import Doc, Snapshot, Wanted
from projections.lists import COMPLAINTS, CUSTOMERS, DELIVERIES, ORDERS


class CampaignQueries:
    """Finding the customers a campaign policy concerns, and reading their documents."""

    mark: str
    docs: str
    lists: str
    datastore: Any
    _marks: Any
    _among: Any
    _begin_snapshot: Any
    _position_in: Any

    def _found(  # noqa: PLR0913 -- the statement's parts and the page
        self, select: str, where: str, params: Sequence[Any], rest: str, rest_params: Sequence[Any],
        after: str | None, limit: int | None,
    ) -> list[tuple[Any, ...]]:
        """``SELECT select FROM lists WHERE where [AND customer_id > after] rest [LIMIT limit]``,
        its rows as tuples in the order of the columns selected (a policy over every customer
        keeps his few values, not a mapping per customer). A page of customers (``after``,
        ``limit``) is a range of the ``(list, customer_id)`` index."""
        sql, values = f"SELECT {select} FROM {self.lists} WHERE {where}", [*params]  # noqa: S608
        if after is not None:
            sql, values = f"{sql} AND customer_id > {self.mark}", [*values, after]
        sql, values = f"{sql} {rest}", [*values, *rest_params]
        if limit is not None:
            sql, values = f"{sql} LIMIT {self.mark}", [*values, limit]
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, values)
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]

    def customers_born_on(
        self, month_days: Sequence[str], after: str | None = None, limit: int | None = None,
    ) -> list[tuple[str]]:
        """``(customer,)`` of the customers whose birthday (``MM-DD``) is one of ``month_days``;
        ``after`` a customer id and at most ``limit`` rows, in customer order, as every finder."""
        if not month_days:
            return []
        return self._found("customer_id", f"list = {self.mark} AND day IN ({self._marks(len(month_days))})",
                           [CUSTOMERS, *month_days], "ORDER BY customer_id", [], after, limit)

    def last_orders_before(self, day: str, after: str | None = None, limit: int | None = None) -> list[tuple[str, str]]:
        """``(customer, day of the last order)`` of the customers whose last order (not
        cancelled) was placed before ``day``."""
        return self._found("customer_id, max(day) AS last", f"list = {self.mark}", [ORDERS],
                           f"GROUP BY customer_id HAVING max(day) < {self.mark} ORDER BY customer_id", [day],
                           after, limit)

    def deliveries_between(
        self, first: str, last: str, after: str | None = None, limit: int | None = None,
    ) -> list[tuple[str, str]]:
        """``(customer, order document key)`` of the orders delivered from ``first`` through
        ``last`` (days)."""
        return self._found("customer_id, key", f"list = {self.mark} AND day >= {self.mark} AND day <= {self.mark}",
                           [DELIVERIES, first, last], "ORDER BY customer_id, key", [], after, limit)

    def complaints_per_group(
        self, at_least: int, after: str | None = None, limit: int | None = None,
    ) -> list[tuple[str, str, int]]:
        """``(customer, product group, complaints)`` where a customer filed ``at_least``
        complaints (resolved or not) in one product group."""
        rows = self._found("customer_id, tag, count(*) AS n", f"list = {self.mark}", [COMPLAINTS],
                           f"GROUP BY customer_id, tag HAVING count(*) >= {self.mark} ORDER BY customer_id, tag",
                           [at_least], after, limit)
        return [(customer, group, int(n)) for customer, group, n in rows]

    def spent_since(
        self, day: str, at_least: int, after: str | None = None, limit: int | None = None,
    ) -> list[tuple[str, str, int]]:
        """``(customer, currency, total)`` of the orders placed on or after ``day`` where the
        total in one currency reaches ``at_least`` (ten-thousandths, as the list keeps amounts)."""
        rows = self._found("customer_id, currency, sum(amount) AS total", f"list = {self.mark} AND day >= {self.mark}",
                           [ORDERS, day], f"GROUP BY customer_id, currency HAVING sum(amount) >= {self.mark} "
                           "ORDER BY customer_id, currency", [at_least], after, limit)
        return [(customer, currency, int(total)) for customer, currency, total in rows]

    def read_customers(self, application_name: str, customer_ids: Sequence[str], wanted: Sequence[Wanted]) -> Snapshot:
        """See ``ReadStore.read_customers``. Per thousand customers: the documents wanted whole,
        by the documents' customer index; those a list narrows, through the lists'
        ``(list, customer_id)`` index and the documents' key. Only what is wanted comes back."""
        whole = {(w.view, k) for w in wanted if w.listed is None for k in w.kinds}
        narrowed = {(w.view, k, w.listed) for w in wanted if w.listed is not None for k in w.kinds}
        if len(whole) + len(narrowed) < sum(len(w.kinds) for w in wanted):
            raise ValueError("each view and kind may be wanted once in a read")
        statements = [
            (f"SELECT view, key, kind, body, NULL AS list FROM {self.docs} WHERE {{views}} AND {{kinds}} "  # noqa: S608
             "AND {owners}", "customer_id", whole, ()),
            (f"SELECT d.view, d.key, d.kind, d.body, l.list FROM {self.lists} l JOIN {self.docs} d ON d.key = l.key "  # noqa: S608
             "WHERE {views} AND {kinds} AND {lists} AND {owners}", "l.customer_id",
             {(v, k) for v, k, _ in narrowed}, {name for _, _, name in narrowed}),
        ]
        docs: list[tuple[str, str, Doc]] = []
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            position = self._position_in(c, application_name)
            for chunk in chunks(sorted(set(customer_ids)), 800):
                found: list[Any] = []
                for sql, owner, pairs, lists in statements:
                    if not pairs:
                        continue
                    views, kinds = sorted({v for v, _ in pairs}), sorted({k for _, k in pairs})
                    owners, params = self._among(owner, chunk)
                    c.execute(sql.format(views=f"view IN ({self._marks(len(views))})",
                                         kinds=f"kind IN ({self._marks(len(kinds))})",
                                         lists=f"l.list IN ({self._marks(len(lists))})", owners=owners),
                              [*views, *kinds, *sorted(lists), *params])
                    found += [r for r in c.fetchall() if (r["view"], r["kind"]) in whole
                              or (r["view"], r["kind"], r["list"]) in narrowed]
                found.sort(key=lambda r: (r["key"], r["view"]))
                docs += [(r["view"], r["key"], load_doc(r["body"])) for r in found]
        return Snapshot(position, docs, [])
