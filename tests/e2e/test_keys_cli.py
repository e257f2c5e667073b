"""API keys as an operator handles them (`journey keys create|list|revoke` against a real
`journey serve`), the hint on a store without keys, and a slow client that cannot hold the API."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from tests.e2e.test_cli import environment, run_journey
from tests.support.server import served

CE = {"Content-Type": "application/cloudevents+json"}


def registered(cid: str, source: str = "shop") -> dict:
    return {"specversion": "1.0", "id": f"{cid}-1", "source": source, "type": "customer.registered", "subject": cid,
            "data": {"name": "Ann", "email": "ann@example.org"}}


def test_keys_are_created_listed_and_revoked_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/keys.sqlite"
    env = environment(url, JOURNEY_KEY_CACHE_SECONDS="0")
    with served(url, log=tmp_path / "serve.log", JOURNEY_KEY_CACHE_SECONDS="0") as (api, _):
        assert "journey keys create --role admin" in (tmp_path / "serve.log").read_text()  # no key yet: says how
        created = run_journey("keys", "create", "--role", "integrator", "--name", "shop-connector",
                              "--source", "shop", env=env)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip().splitlines()[-1]
        key_id = key.split("_")[1]
        refused = run_journey("keys", "create", "--role", "integrator", env=env)  # no source: refused
        assert refused.returncode != 0 and "source" in refused.stderr

        stored = httpx.post(f"{api}/events", json=registered("c1"), headers={**CE, "Authorization": f"Bearer {key}"})
        foreign = httpx.post(f"{api}/events", json=registered("c2", "payments"),
                             headers={**CE, "Authorization": f"Bearer {key}"})
        listed = run_journey("keys", "list", env=env).stdout

        assert stored.status_code == 202, stored.text
        assert foreign.status_code == 403 and foreign.json()["code"] == "source-not-bound"
        assert key_id in listed and "shop-connector" in listed and "integrator" in listed
        assert key.split("_", 2)[2] not in listed  # the secret is never shown again
        assert run_journey("keys", "revoke", key_id, env=env).returncode == 0
        after = httpx.post(f"{api}/events", json=registered("c3"), headers={**CE, "Authorization": f"Bearer {key}"})
        assert after.status_code == 401 and after.json()["code"] == "revoked-key"
        assert "revoked" in run_journey("keys", "list", env=env).stdout
        assert run_journey("keys", "revoke", "0123456789abcdef", env=env).returncode != 0


def test_a_client_sending_its_body_slowly_is_cut_off_and_holds_no_one_else(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/slow.sqlite"
    key = run_journey("keys", "create", "--role", "integrator", "--source", "shop",
                      env=environment(url)).stdout.strip().splitlines()[-1]
    billing = run_journey("keys", "create", "--role", "billing", env=environment(url)).stdout.strip().splitlines()[-1]
    with served(url, log=tmp_path / "serve.log", JOURNEY_REQUEST_BODY_SECONDS="6") as (api, _):
        port = int(api.rsplit(":", 1)[1])
        slow = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(50)]
        for n, connection in enumerate(slow):  # 50 clients promise 1000 bytes and send 10
            path, bearer = (b"/events", key) if n % 2 else (b"/invoices/I1/payments", billing)  # read by us / by FastAPI
            connection.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
                               b"ce-specversion: 1.0\r\nAuthorization: Bearer " + bearer.encode()
                               + b"\r\nContent-Length: 1000\r\n\r\n{\"specvers")
        served_meanwhile = httpx.post(f"{api}/events", json=registered("c1"),
                                      headers={**CE, "Authorization": f"Bearer {key}"}, timeout=30)
        still_waiting = [_nothing_yet(connection) for connection in slow]

        cut_off = [_answer(connection) for connection in slow]

        assert served_meanwhile.status_code == 202
        assert all(still_waiting)  # answered while all 50 were still sending
        assert all(answer.startswith(b"HTTP/1.1 408") and b"request-timeout" in answer for answer in cut_off)
        for connection in slow:
            connection.close()


def _nothing_yet(connection: socket.socket) -> bool:
    connection.setblocking(False)
    try:
        connection.recv(1, socket.MSG_PEEK)
        return False  # an answer (or the end of the connection) came already
    except BlockingIOError:
        return True
    finally:
        connection.setblocking(True)
        connection.settimeout(30)


def _answer(connection: socket.socket) -> bytes:
    """What the server sends until its problem's code arrived or it closes the connection."""
    received = b""
    while b"request-timeout" not in received and (chunk := connection.recv(4096)):
        received += chunk
    return received
