"""The ``journey`` command: serve the API, run the projector, ingest from and relay to Kafka, load the demo."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading

from services import cli_audit, cli_campaigns, cli_export, cli_keys, cli_loyalty, cli_privacy, cli_rebuild
from services.settings import get_settings


def serve(args: argparse.Namespace) -> None:
    """Serve the HTTP API (projecting in-process unless JOURNEY_PROJECT_IN_PROCESS=false).

    With ``--workers N`` (N > 1) uvicorn runs N API processes; the projector then runs once,
    in the supervising process, instead of in every worker."""
    import uvicorn

    from services.api.app import create_app
    from services.bootstrap import bootstrap

    settings = get_settings()
    if args.workers <= 1:
        uvicorn.run(create_app(settings), host=args.host, port=args.port)
        return
    supervisor = None
    if settings.project_in_process:
        supervisor = bootstrap(settings)  # projects here; writes nothing (no writer lock taken)
        supervisor.start_projecting()
        os.environ["JOURNEY_PROJECT_IN_PROCESS"] = "false"  # inherited by the workers
    try:
        uvicorn.run(
            "services.api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers
        )
    finally:
        if supervisor is not None:
            supervisor.close()


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def project(args: argparse.Namespace) -> None:
    """Keep the read store caught up, as a worker separate from the API, until stopped: from the
    event store (``--source database``) or as a member of the Kafka consumer group reading the
    relayed stream (``--source kafka``). Supervised: an error is logged and retried after a
    pause, never fatal."""
    from services.bootstrap import bootstrap

    settings = get_settings()
    if args.source is not None:
        settings = settings.model_copy(update={"projector_source": args.source})
    journey = bootstrap(settings)
    stop = stop_on_signals()
    if settings.projector_source == "kafka":
        from services.kafka_projector import kafka_projector_worker

        worker = kafka_projector_worker(settings, journey.service.app, journey.store)
        logging.info("projecting %s from %s into %s", settings.kafka_events_topic, settings.kafka_bootstrap,
                     journey.location.redacted_url)
        try:
            worker.run(stop)
        finally:
            journey.close()
        return
    journey.start_projecting()
    logging.info("projecting %s", journey.location.redacted_url)
    while not stop.wait(1.0):
        pass
    journey.close()


def ingest(_: argparse.Namespace) -> None:
    """Store the touchpoints integrators publish to Kafka until stopped (SIGINT, SIGTERM). The
    worker is supervised: an error is logged and the worker rejoins after a pause, never fatal."""
    from services.bootstrap import bootstrap
    from services.ingest import ingest_worker

    settings = get_settings()
    journey = bootstrap(settings)
    worker, dead_letters = ingest_worker(settings, journey.service, journey.clock)
    stop = stop_on_signals()
    logging.info("ingesting %s from %s into %s", settings.kafka_touchpoints_topic, settings.kafka_bootstrap,
                 journey.location.redacted_url)
    try:
        worker.run(stop)
    finally:
        dead_letters.close()
        journey.close()


def relay(_: argparse.Namespace) -> None:
    """Publish the shared stream to Kafka until stopped (SIGINT, SIGTERM): every event to the
    events topic, profiles to the compacted customers topic. Supervised like the other workers.
    One relay publishes at a time; another started beside it stands by until the first stops."""
    from eventsourcing.persistence import OperationalError

    from adapters.notifications import Listener
    from adapters.writer_lock import LockTimeoutError, relay_lock
    from services.bootstrap import bootstrap
    from services.relay import relay_worker

    settings = get_settings()
    journey = bootstrap(settings)
    worker, close = relay_worker(settings, journey.service.app, journey.store)
    stop = stop_on_signals()
    lease = relay_lock(journey.location, timeout=5.0)
    standing_by = False
    listener = None
    if journey.location.is_postgres:  # woken by every append, not only by its poll
        channel = journey.service.app.recorder.channel_name  # type: ignore[attr-defined]
        listener = Listener(journey.location, channel, worker.wake.set).start()
    try:
        while not stop.is_set():
            try:
                with lease.held():
                    logging.info("relaying %s to %s at %s", journey.location.redacted_url,
                                 settings.kafka_events_topic, settings.kafka_bootstrap)
                    worker.run(stop)
            except LockTimeoutError:
                if not standing_by:
                    logging.info("another relay is publishing; standing by until it stops")
                standing_by = True
                worker.beat()  # a stand-by is healthy
            except OperationalError as error:  # the lease cannot be asked for now: ask again
                logging.warning("the relay's lease is unreachable (%s); asking again in 1 s", error)
                stop.wait(1.0)
    finally:
        if listener is not None:
            listener.stop()
        close()
        lease.close()
        journey.close()


def alive(args: argparse.Namespace) -> None:
    """Exit 0 when the worker's heartbeat file is fresh, else 1 with the reason on stderr (a
    container health check for workers without an HTTP port; see services/heartbeat.py)."""
    from services.heartbeat import check

    reason = check(args.path, args.max_age)
    if reason is not None:
        raise SystemExit(reason)


def demo(args: argparse.Namespace) -> None:
    """Load the demo data and catch the views up."""
    from eventsourcing.persistence import PersistenceError

    from services.bootstrap import bootstrap
    from services.demo import DemoCannotLoadError, load_demo
    from services.reads import NotCaughtUpError

    settings = get_settings()
    try:
        journey = bootstrap(settings)
    except (PersistenceError, OSError) as error:
        raise SystemExit(f"demo not loaded: the store cannot be opened ({error})") from None
    try:
        summary = load_demo(journey, customers=args.customers, seed=args.seed)
        position = journey.catch_up_views()
    except (DemoCannotLoadError, NotCaughtUpError) as error:
        raise SystemExit(f"demo not loaded: {error}") from None
    except (PersistenceError, OSError) as error:
        raise SystemExit(f"demo not loaded: the store failed ({error}); nothing half-written stays") from None
    finally:
        journey.close()
    if summary["stored"]:
        print(f"demo loaded: {summary['stored']} touchpoints stored, {summary['dunned']} invoices dunned; "
              f"views at position {position}")
    else:
        print(f"demo already loaded: nothing stored again; views at position {position}")
    print("customers to try (GET /customers/<id>/views, /customers/<id>/journey):")
    for label, customer_id in summary["examples"].items():
        print(f"  {customer_id:10}  {label}")


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="journey", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="serve the HTTP API")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--workers", type=int, default=1, help="API processes (uvicorn workers)")
    serve_parser.set_defaults(run=serve)
    project_parser = commands.add_parser("project", help="run the projector as a separate worker")
    project_parser.add_argument("--source", choices=("database", "kafka"), default=None,
                                help="where the views are fed from (default: JOURNEY_PROJECTOR_SOURCE)")
    project_parser.set_defaults(run=project)
    commands.add_parser("ingest", help="store the touchpoints published to Kafka").set_defaults(run=ingest)
    commands.add_parser("relay", help="publish the stream to Kafka").set_defaults(run=relay)
    alive_parser = commands.add_parser("alive", help="exit 0 when a worker's heartbeat file is fresh, else 1")
    alive_parser.add_argument("path", help="the worker's JOURNEY_HEARTBEAT_FILE")
    alive_parser.add_argument("--max-age", type=float, default=30.0, help="seconds a beat stays fresh")
    alive_parser.set_defaults(run=alive)
    cli_keys.add_parsers(commands)
    cli_export.add_parsers(commands)
    cli_rebuild.add_parsers(commands)
    cli_audit.add_parsers(commands)
    cli_privacy.add_parsers(commands)
    cli_campaigns.add_parsers(commands)
    cli_loyalty.add_parsers(commands)
    demo_parser = commands.add_parser("demo", help="load the hardware-shop story and generated customers")
    demo_parser.add_argument("--customers", type=int, default=300)
    demo_parser.add_argument("--seed", type=int, default=7)
    demo_parser.set_defaults(run=demo)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
