"""The workers' supervisor: an error is logged, connections dropped, the worker pauses with a
doubling pause and resumes; a success resets the pause and beats the heartbeat."""

from __future__ import annotations

import threading

from services.supervisor import Supervised


def test_a_failing_round_backs_off_drops_connections_and_resumes():
    stop = threading.Event()
    outcomes = iter([RuntimeError("broker gone"), RuntimeError("still gone"), True, False])
    resets, beats, states = [], [], []

    def round() -> bool:  # noqa: A001 -- the worker's round
        outcome = next(outcomes, None)
        if outcome is None:
            stop.set()
            return False
        if isinstance(outcome, Exception):
            states.append(worker.state)
            raise outcome
        states.append(worker.state)
        return outcome

    worker = Supervised("testing", round, reset=lambda: resets.append(1), beat=lambda: beats.append(1),
                        idle_seconds=0, min_pause=0.001, max_pause=0.004)
    worker.run(stop)

    assert [s.failures for s in states] == [0, 1, 2, 0]  # the third round saw two failures before it
    assert states[1].status == "backing-off" and "broker gone" in (states[1].last_error or "")
    assert states[3].status == "running" and states[3].last_success is not None
    assert len(resets) == 3  # after each failure, and once when stopping
    assert len(beats) == 3  # after each successful round
    assert worker.state.status == "stopped"
