"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from domain.invoice import Invoice
from tests.unit.builders import issue_invoice


@pytest.fixture
def invoice() -> Invoice:
    """An issued, unpaid invoice of 100.00 EUR due on DUE, its Issued event already collected."""
    invoice = issue_invoice()
    invoice.collect_events()
    return invoice
