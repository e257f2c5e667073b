"""Reading a worker's log in the process tests: its own tracebacks fail a test, the Kafka
client's logged shutdown races do not."""

from __future__ import annotations

from tests.support.kafka import our_tracebacks


def test_a_workers_own_tracebacks_are_told_from_the_kafka_clients_shutdown_noise():
    noise = ("2026-11-23 11:56:05,520 ERROR kafka.net.transport: Error receiving network data\n"
             "Traceback (most recent call last):\n  File \"x\", line 1\nAttributeError: recv\n")
    ours = ("2026-11-23 11:56:06,000 ERROR services.supervisor: relaying failed; retrying in 0.1 s\n"
            "Traceback (most recent call last):\n  File \"y\", line 2\nRuntimeError: boom\n")
    crash = "Traceback (most recent call last):\n  File \"z\", line 3\nKeyError: 'x'\n"
    assert our_tracebacks(noise) == []
    assert len(our_tracebacks(noise + ours)) == 1 and "boom" in our_tracebacks(noise + ours)[0]
    assert len(our_tracebacks(crash)) == 1
    assert len(our_tracebacks("2026-11-23 11:56:07,000 INFO kafka.cluster: Stopping\n" + crash)) == 1
