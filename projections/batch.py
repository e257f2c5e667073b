"""The view port and the in-memory working set of one projected batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from projections.list_queries import Count, ListPage, ListQuery

Doc = dict[str, Any]
Positioned = tuple[Any, int]


@dataclass
class Batch:
    """The documents a batch of events touches, loaded once; mappers read and update them here
    and the store writes back the dirty ones with the journey entries and the tracking record."""

    docs: dict[tuple[str, str], Doc]
    dirty: set[tuple[str, str]] = field(default_factory=set)
    entries: list[tuple[int, str, Doc]] = field(default_factory=list)
    #: The stored journey entries of the customers erased in this batch, by customer (the store
    #: loads them; projections.erasure), and the stored entries to write back, by position.
    stored_entries: dict[str, list[tuple[int, Doc]]] = field(default_factory=dict)
    rewritten: dict[int, tuple[str, Doc]] = field(default_factory=dict)
    _order: list[tuple[str, str]] = field(default_factory=list, repr=False, compare=False)

    def get(self, view: str, key: str) -> Doc | None:
        return self.docs.get((view, key))

    def put(self, view: str, key: str, doc: Doc) -> None:
        self.docs[(view, key)] = doc
        self.dirty.add((view, key))

    def add_entry(self, position: int, customer_id: str, entry: Doc) -> None:
        self.entries.append((position, customer_id, entry))

    def dirty_docs(self) -> Iterable[tuple[str, str, Doc]]:
        if len(self._order) != len(self.dirty):  # sorted once per batch (dirty only grows)
            self._order = sorted(self.dirty)
        docs = self.docs
        return [(view, key, docs[(view, key)]) for view, key in self._order]


@dataclass(frozen=True)
class Snapshot:
    """What a read sees: every document and entry asked for, at one and the same position."""

    position: int
    docs: list[tuple[str, str, Doc]]
    entries: list[tuple[int, Doc]]

    def of(self, view: str, kind: str | None = None) -> list[Doc]:
        return [d for v, _, d in self.docs if v == view and (kind is None or d["kind"] == kind)]


Fold = Callable[[Batch, Sequence[Positioned]], None]


@dataclass(frozen=True)
class Wanted:
    """Documents a read asks for, of each customer: of ``view`` and ``kinds``; only those with
    a row in the list ``listed`` when given (``projections.lists``)."""

    view: str
    kinds: tuple[str, ...]
    listed: str | None = None


class ReadStore(Protocol):
    """The view port: one database holding every department's documents, the journey entries
    and one tracking position, all written in one transaction per batch."""

    def project(
        self, application_name: str, events: Sequence[Positioned], fold: Fold, position: int | None = None
    ) -> int:
        """In one transaction: lock the tracking position, skip events at or below it, load the
        documents the rest touch, ``fold`` them, write the dirty documents, the entries and the
        new tracking position: ``position`` (the end of the page read, which may lie past the
        last event given) or else the last event's. Returns the position the views now reflect."""
        ...

    def position(self, application_name: str) -> int:
        """The position the views reflect (0 before the first event)."""
        ...

    def read_candidates(
        self, application_name: str, eligible_on: str, dunned_by: str, after: str | None, limit: int
    ) -> tuple[Snapshot, str | None]:
        """In one snapshot, the first ``limit`` invoices (by key, after key ``after``) the
        candidates table lists as dunnable, eligible on ``eligible_on`` and last dunned on or
        before ``dunned_by`` (ISO days): their billing documents with every billing complaint of
        their customers and their customers' documents (contact data). Also the page's last key
        when more rows follow, else None."""
        ...

    def read_list(self, application_name: str, query: ListQuery, limit: int) -> ListPage:
        """In one snapshot, the first ``limit`` rows ``query`` asks of its list (in sort key
        order), the documents they show (their list's view) with their customers' documents
        (contact data) and, for billing's lists, their customers' billing complaints, and the
        totals ``query.bands`` and the counts ``query.count_tags`` ask for."""
        ...

    def read_counts(self, application_name: str, list_name: str, tag_prefix: str = "") -> tuple[int, list[Count]]:
        """In one snapshot, its position and the rows of ``list_name`` counted per tag and
        search, of the tags starting with ``tag_prefix``."""
        ...

    def read_document(self, application_name: str, view: str, key: str, views: tuple[str, ...]) -> Snapshot:
        """In one snapshot, the document ``key`` of ``view`` and every document of its customer
        in ``view`` and ``views``; no document when ``key`` is unknown there."""
        ...

    def read_customers(self, application_name: str, customer_ids: Sequence[str], wanted: Sequence[Wanted]) -> Snapshot:
        """In one snapshot, the documents ``wanted`` of the customers ``customer_ids`` (in key
        order, then view)."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...

    def read(
        self,
        application_name: str,
        customer_id: str | None,
        views: tuple[str, ...],
        kinds: tuple[str, ...] = (),
        *,
        entries: bool = False,
    ) -> Snapshot:
        """Documents of ``views`` (all customers when ``customer_id`` is None, only ``kinds`` when
        given) and, with ``entries``, the customer's journey entries, read in one snapshot."""
        ...
