"""Response bodies of finding and listing (services/api/routes/lists.py).

Invoices are rendered by the one invoice vocabulary (``read_models.invoice_view``) and have its
one model (``view_schemas.InvoiceView``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.api.view_schemas import ContactOut, InvoiceView

Bucket = Literal["0-30", "31-60", "61-90", "90+"]


class Positioned(BaseModel):
    position: int = Field(description="the stream position the answer reflects (also X-Journey-Position)")


class Paged(Positioned):
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


InvoiceOut = InvoiceView


class ComplaintOut(BaseModel):
    complaint_id: str
    customer_id: str
    order_id: str
    product_group: str
    text: str
    status: str = Field(description="open or answered (resolved complaints leave the worklist)")
    filed_at: str
    age_days: int = Field(description="whole days since the complaint was filed (UTC days)")


class CustomersOut(Paged):
    customers: list[ContactOut]


class ComplaintItemOut(ComplaintOut):
    customer: ContactOut | None


class OpenComplaintsOut(Paged):
    as_of: date
    complaints: list[ComplaintItemOut]


class CollectionItemOut(InvoiceOut):
    customer: ContactOut | None


class CollectionOut(Paged):
    as_of: date
    invoices: list[CollectionItemOut]


class ReceivableOut(CollectionItemOut):
    days_past_due: int = Field(description="days since the due date; 0 while not yet due")
    bucket: Bucket


class BucketTotalOut(BaseModel):
    bucket: Bucket
    currency: str
    balance: str = Field(description="the open balance of the bucket's invoices in this currency")
    invoices: int


class ReceivablesOut(Paged):
    as_of: date
    totals: list[BucketTotalOut] = Field(description="per bucket and currency, of every receivable (not only this page)")
    invoices: list[ReceivableOut]


class InvoiceDetailOut(Positioned):
    as_of: date
    invoice: InvoiceOut
    customer: ContactOut | None


class ComplaintWithHistoryOut(ComplaintOut):
    history: list[dict[str, Any]] = Field(description="every step: filed, answered, resolved, with who acted")


class ComplaintDetailOut(Positioned):
    as_of: date
    complaint: ComplaintWithHistoryOut
    customer: ContactOut | None


class OrderOut(BaseModel):
    order_id: str
    customer_id: str
    status: str
    product_groups: list[str]


class OrderComplaintOut(BaseModel):
    complaint_id: str
    product_group: str
    status: str


class OrderDetailOut(Positioned):
    as_of: date
    order: OrderOut
    invoices: list[InvoiceOut]
    complaints: list[OrderComplaintOut]
    customer: ContactOut | None
