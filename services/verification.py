"""Verification of a store: a list of checks run in turn, one report (``journey verify``,
``GET /audit/verification``).

A check is a function of the ``Verification`` under way (the journey, the checkpoint given, the
progress callback) returning a ``CheckResult``; add one to ``CHECKS`` to have it run and
reported. The hash chain's walk is shared: ``Verification.walk()`` runs it once for the chain
check and the checkpoint check. Each report is kept in the store; ``last_report`` reads it back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.chain import Walk
from services.bootstrap import Journey

Advance = Callable[[int], None]
#: Opens a progress display for a stage of a run: ``stage(description, total)`` yields ``advance``.
Stage = Callable[[str, int], AbstractContextManager[Advance]]


@contextmanager
def _silent(_: str, __: int) -> Iterator[Advance]:
    yield lambda _: None


@dataclass(frozen=True)
class Checkpoint:
    """A chain head written down to be kept elsewhere: position, hash (hex), when, which store."""

    position: int
    hash: str
    at: str
    store: str

    @classmethod
    def load(cls, path: Path) -> Checkpoint:
        """Read a checkpoint file; ValueError when it is not one."""
        try:
            data = json.loads(path.read_text())
            checkpoint = cls(int(data["position"]), str(data["hash"]), str(data.get("at", "")), str(data.get("store", "")))
            bytes.fromhex(checkpoint.hash)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path} is not a readable checkpoint ({error})") from None
        return checkpoint

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass
class CheckResult:
    """One check's outcome: how many items it checked, and where and why it failed."""

    name: str
    ok: bool
    checked: int
    first_bad_position: int | None = None
    details: list[str] = field(default_factory=list)


@dataclass
class Report:
    """Every check's outcome for the stream up to ``position``."""

    checks: list[CheckResult]
    position: int
    store: str = ""
    started_at: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def first_bad_position(self) -> int | None:
        bad = [c.first_bad_position for c in self.checks if not c.ok and c.first_bad_position is not None]
        return min(bad) if bad else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "first_bad_position": self.first_bad_position, "position": self.position,
                "store": self.store, "started_at": self.started_at, "seconds": round(self.seconds, 3),
                "checks": [asdict(check) for check in self.checks]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls([CheckResult(**check) for check in data["checks"]], data["position"], data.get("store", ""),
                   data.get("started_at", ""), data.get("seconds", 0.0))

    def to_text(self) -> str:
        lines = [f"verification of {self.store} up to position {self.position} "
                 f"(started {self.started_at}, {self.seconds:.1f} s)"]
        for check in self.checks:
            at = f" at position {check.first_bad_position}" if check.first_bad_position is not None else ""
            verdict = "ok" if check.ok else f"FAILED{at}"
            lines.append(f"  {check.name:12} {verdict} ({check.checked:,} checked)")
            lines.extend(f"      {detail}" for detail in check.details)
        lines.append("all checks hold" if self.ok else f"verification failed: first bad position {self.first_bad_position}")
        return "\n".join(lines)


@dataclass
class Verification:
    """A verification under way: what the checks are given."""

    journey: Journey
    position: int
    checkpoint: Checkpoint | None = None
    stage: Stage = _silent
    _walk: Walk | None = None

    def walk(self) -> Walk:
        """The hash chain recomputed from the stored events (walked once per verification)."""
        if self._walk is None:
            at = self.checkpoint.position if self.checkpoint else None
            with self.stage("verifying the hash chain", self.position) as advance:
                self._walk = self.journey.service.app.recorder.walk_chain(at=at, advance=advance)  # type: ignore[attr-defined]
        return self._walk


def check_chain(v: Verification) -> CheckResult:
    """Every stored event chains to its predecessor and matches its chain hash."""
    walk = v.walk()
    details = [finding.describe() for finding in walk.findings]
    if walk.found > len(walk.findings):
        details.append(f"... {walk.found - len(walk.findings)} more")
    if any(f.kind == "unchained" and f.first == 1 for f in walk.findings):
        details.append("a store written before the chain existed: chain it once with `journey chain --seal`")
    return CheckResult("hash chain", walk.found == 0, walk.checked, walk.first_bad_position, details)


def check_checkpoint(v: Verification) -> CheckResult | None:
    """The stream still extends the checkpoint: the hash recomputed from the stored events at
    the checkpoint's position is the checkpoint's."""
    if v.checkpoint is None:
        return None
    walk, point = v.walk(), v.checkpoint
    if walk.hash_at is not None and walk.hash_at.hex() == point.hash.lower():
        return CheckResult("checkpoint", True, 1, None, [f"position {point.position} still has the hash of {point.at}"])
    why = ("no event at the checkpoint's position" if walk.hash_at is None
           else "the events up to the checkpoint's position no longer hash to the checkpoint's hash")
    earlier = [f.first for f in walk.findings if f.first <= point.position]
    details = [f"checkpoint of {point.at} at position {point.position}: {why}"]
    if point.store and point.store != v.journey.location.redacted_url:
        details.append(f"the checkpoint was taken on {point.store}")
    return CheckResult("checkpoint", False, 1, earlier[0] if earlier else point.position, details)


def check_views(v: Verification) -> CheckResult:
    """Every view rebuilt from the stream in scratch tables equals the live view, row by row."""
    if v.journey.settings.projector_source == "kafka":
        return CheckResult("views", True, 0, None, ["not compared: the views are fed from Kafka (ADR 0015)"])
    from services.rebuild import diff_views  # noqa: PLC0415 -- the rebuild machinery only when verifying

    with v.stage("rebuilding the views to compare", v.journey.reads.position()) as advance:
        diff = diff_views(v.journey, advance)
    details = [f"differs: {d}" for d in diff.differences]
    return CheckResult("views", diff.ok, diff.rows, diff.first_position if not diff.ok else None, details)


def check_decisions(v: Verification) -> CheckResult:
    """Every dunning step, hand-off, deferral, correction, credit note and dispute outcome holds
    again on the facts rebuilt from the history before it, and matches the facts it recorded."""
    if v.journey.settings.projector_source == "kafka":
        v.journey.reads.wait_for(v.position)  # the views name every customer's aggregates
    else:
        v.journey.catch_up_views()
    audit = v.journey.audit
    decisions = sum(1 for _ in audit.decisions(v.position))
    with v.stage("checking every decision again", decisions) as advance:
        checked, first_bad, details = audit.recheck(v.position, advance)
    return CheckResult("decisions", first_bad is None, checked, first_bad, details)


Check = Callable[[Verification], CheckResult | None]
#: The checks ``verify`` runs, in order; a check returning None does not apply (and is not reported).
CHECKS: list[Check] = [check_chain, check_checkpoint, check_views, check_decisions]


def _run(check: Check, run: Verification) -> CheckResult | None:
    """``check``'s result; a check that cannot run (an altered event no longer decodes, the
    views do not catch up) fails, naming why, and the others still run."""
    try:
        return check(run)
    except Exception as error:  # noqa: BLE001 -- reported as the check's failure, never a crash
        return CheckResult(check.__name__.removeprefix("check_"), False, 0, None,
                           [f"could not be checked: {type(error).__name__}: {error}"])


def verify(journey: Journey, checkpoint: Checkpoint | None = None, stage: Stage | None = None,
           checks: list[Check] | None = None) -> Report:
    """Run the checks over the stream as it is now, keep the report in the store, return it.
    ``stage`` opens a progress display for each long stage (the chain walk, the views' rebuild,
    the decisions)."""
    started, clock = datetime.now(UTC), time.monotonic()
    position = journey.service.head()
    run = Verification(journey, position, checkpoint, stage or _silent)
    results = [result for check in (checks or CHECKS) if (result := _run(check, run)) is not None]
    report = Report(results, position, journey.location.redacted_url, started.isoformat(timespec="seconds"),
                    time.monotonic() - clock)
    journey.service.app.recorder.save_verification(report.started_at, report.ok, report.to_json())  # type: ignore[attr-defined]
    return report


def last_report(journey: Journey) -> Report | None:
    """The last verification's report, or None before the first."""
    text = journey.service.app.recorder.last_verification()  # type: ignore[attr-defined]
    return None if text is None else Report.from_dict(json.loads(text))


def take_checkpoint(journey: Journey) -> Checkpoint:
    """The chain's head as a checkpoint; ValueError when the chain does not reach the stream's head."""
    head, events = journey.service.app.recorder.chain_head(), journey.service.head()  # type: ignore[attr-defined]
    if head is None or head.position != events:
        chained = head.position if head else 0
        raise ValueError(f"the chain stops at position {chained}, the stream at {events}: "
                         "run `journey chain --seal` (and `journey verify`) first")
    return Checkpoint(head.position, head.hash.hex(), datetime.now(UTC).isoformat(timespec="seconds"),
                      journey.location.redacted_url)
