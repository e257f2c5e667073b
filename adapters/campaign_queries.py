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
        """See ``ReadStore.read_customers``. Per thousand customers: their documents of the
        views and kinds wanted, by the documents' customer index, and the keys of their rows in
        each list that narrows a kind; only the documents wanted are decoded."""
        views, kinds = sorted({w.view for w in wanted}), sorted({k for w in wanted for k in w.kinds})
        narrowed = {(w.view, k): w.listed for w in wanted for k in w.kinds}
        if len(narrowed) < sum(len(w.kinds) for w in wanted):
            raise ValueError("each view and kind may be wanted once in a read")
        docs: list[tuple[str, str, Doc]] = []
        with self.datastore.transaction(commit=False) as c:
            self._begin_snapshot(c)
            position = self._position_in(c, application_name)
            for chunk in chunks(sorted(set(customer_ids)), 900 - len(views) - len(kinds)):
                owners, params = self._among("customer_id", chunk)
                listed: dict[str | None, set[str]] = {}
                for name in {w.listed for w in wanted if w.listed is not None}:
                    c.execute(f"SELECT key FROM {self.lists} WHERE list = {self.mark} AND {owners}", [name, *params])  # noqa: S608
                    listed[name] = {r["key"] for r in c.fetchall()}
                c.execute(
                    f"SELECT view, key, kind, body FROM {self.docs} WHERE view IN ({self._marks(len(views))}) "  # noqa: S608
                    f"AND kind IN ({self._marks(len(kinds))}) AND {owners} ORDER BY key, view",
                    [*views, *kinds, *params],
                )
                for r in c.fetchall():
                    pair = (r["view"], r["kind"])
                    if pair in narrowed and (narrowed[pair] is None or r["key"] in listed[narrowed[pair]]):
                        docs.append((r["view"], r["key"], load_doc(r["body"])))
        return Snapshot(position, docs, [])
