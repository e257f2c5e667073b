"""The pure rules of the customer journey: aggregates, events, values and the hold rule.

Imports the standard library and ``eventsourcing.domain`` only; no I/O happens here.
"""
