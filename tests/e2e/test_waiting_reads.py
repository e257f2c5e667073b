"""Reads waiting for ``?min_position`` hold no worker thread: hundreds of them do not keep a write
from being stored and answered, and all are answered once the views get there."""

from __future__ import annotations

import asyncio

import httpx
from starlette.concurrency import run_in_threadpool

from services.api.app import create_app
from services.bootstrap import bootstrap
from services.clock import FixedClock
from services.settings import Settings
from tests.e2e.conftest import cloudevent
from tests.support.auth import KeyRing

CE = {"Content-Type": "application/cloudevents+json"}
WAITING = 300


def customer(n: int) -> dict:
    return cloudevent("customer.registered", f"c{n}", {"name": "Ann", "email": "ann@example.org"}, f"r{n}")


async def until(condition, bound: float = 60.0) -> None:  # noqa: ANN001
    """Poll ``condition`` within a generous bound (a guard against hanging, not a timing check)."""
    async with asyncio.timeout(bound):
        while not condition():
            await asyncio.sleep(0.01)


def test_hundreds_of_waiting_reads_do_not_block_a_write(database_url: str, clock: FixedClock) -> None:
    # Nobody projects until the test says so: every read of a new position has to wait.
    settings = Settings(database_url=database_url, project_in_process=False, read_wait_seconds=120, rate_limit_burst=1000)
    journey = bootstrap(settings, clock)
    app = create_app(journey=journey)
    keys = KeyRing(journey.credentials)
    publish, read = {**CE, **keys.headers("integrator")}, keys.headers("support")

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            # 1. One customer is stored; the views do not reflect it yet.
            first = (await client.post("/events", json=customer(1), headers=publish)).json()["position"]
            # 2. Hundreds of reads wait for it (the thread pool has 40 threads).
            reads = [
                asyncio.create_task(client.get("/customers/c1/journey", params={"min_position": first}, headers=read))
                for _ in range(WAITING)
            ]
            await until(lambda: journey.reads.progress.waiting == WAITING)
            # 3. A write is stored and answered while they all wait.
            write = await asyncio.wait_for(client.post("/events", json=customer(2), headers=publish), 60)
            assert write.status_code == 202, write.text
            assert journey.reads.progress.waiting == WAITING and not any(r.done() for r in reads)
            # 4. The views catch up: every waiting read is answered at that position or later.
            await run_in_threadpool(journey.projector.catch_up)
            answers = await asyncio.wait_for(asyncio.gather(*reads), 60)
            assert {a.status_code for a in answers} == {200}
            assert min(int(a.headers["X-Journey-Position"]) for a in answers) >= first
            assert journey.reads.progress.waiting == 0

    try:
        asyncio.run(scenario())
    finally:
        journey.close()
