"""Bearer tokens verified with keys read from a JWKS endpoint: a real HTTP server on the loopback
interface serves the key set; when it cannot be read, the refusal says so (the API answers 503)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from adapters.jwt_tokens import InvalidTokenError, TokenSettings, TokenVerifier
from tests.support import tokens as t


class JwksServer:
    """Serves ``body`` (a JWKS document, or anything) with ``status`` at ``url``; counts requests.
    While ``stall`` is set, requests get no answer: they wait until the server stops."""

    def __init__(self) -> None:
        self.body: bytes = b'{"keys": []}'
        self.status = 200
        self.requests = 0
        self.stall = threading.Event()
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if server.stall.is_set():
                    server.released.wait(timeout=10)
                    return  # the client gave up long ago: answer nothing
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/realms/journey/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def serve(self, *jwks: dict[str, Any]) -> None:
        self.body = json.dumps({"keys": list(jwks)}).encode()

    def stop(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {"rsa": t.rsa_key(), "ec": t.ec_key(), "stranger": t.rsa_key()}


def verifier(url: str, **settings: Any) -> TokenVerifier:
    return TokenVerifier(TokenSettings(issuer=t.ISSUER, audience=t.AUDIENCE, jwks_url=url, **settings), t.ROLES, now=lambda: t.NOW)


def refusal(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(token)
    return refused.value.code


def test_tokens_of_every_key_in_the_set_are_accepted_and_the_set_is_fetched_once(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"), t.jwk(keys["ec"], "k-ec", "ES256"))
    tokens = verifier(jwks.url)

    assert tokens.verify(t.sign(keys["rsa"], kid="k-rsa")).role == "billing"
    assert tokens.verify(t.sign(keys["ec"], "ES256", kid="k-ec", role="support")).role == "support"
    assert tokens.verify(t.sign(keys["rsa"], kid="k-rsa", sub="bob")).subject == "bob"
    assert jwks.requests == 1  # the key set is cached for its lifespan


def test_cached_keys_keep_verifying_while_the_endpoint_is_down(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"))
    tokens = verifier(jwks.url)
    assert tokens.verify(t.sign(keys["rsa"], kid="k-rsa")).role == "billing"

    jwks.stop()

    assert tokens.verify(t.sign(keys["rsa"], kid="k-rsa", role="sales")).role == "sales"


def test_a_token_naming_an_unknown_key_is_refused(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"))
    tokens = verifier(jwks.url)

    assert refusal(tokens, t.sign(keys["stranger"], kid="k-stranger")) == "invalid-token-signature"
    assert refusal(tokens, t.sign(keys["stranger"])) == "invalid-token-signature"  # no kid at all


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"))

    assert refusal(verifier(jwks.url), t.sign(keys["stranger"], kid="k-rsa")) == "invalid-token-signature"


def test_a_token_whose_algorithm_differs_from_its_keys_is_refused(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"))
    pem = t.public_pem(keys["rsa"])

    tokens = verifier(jwks.url, algorithms=("RS256", "PS256"))

    assert refusal(tokens, t.sign(keys["rsa"], "PS256", kid="k-rsa")) == "invalid-token-signature"
    assert refusal(tokens, t.hmac_signed(pem, kid="k-rsa")) == "invalid-token-signature"
    assert tokens.verify(t.sign(keys["rsa"], kid="k-rsa")).role == "billing"


def test_a_symmetric_key_in_the_set_is_never_used(jwks: JwksServer) -> None:
    jwks.serve({"kty": "oct", "kid": "k-oct", "k": "c2VjcmV0", "alg": "HS256"})

    assert refusal(verifier(jwks.url), t.hmac_signed("secret", kid="k-oct")) == "invalid-token-signature"


def test_an_unreachable_endpoint_makes_the_keys_unavailable(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.stop()

    assert refusal(verifier(jwks.url), t.sign(keys["rsa"], kid="k-rsa")) == "token-keys-unavailable"


@pytest.mark.parametrize(("status", "body"), [(500, b"oops"), (200, b"<html>not json</html>"), (200, b"[1, 2]"), (200, b'{"keys": []}')])
def test_an_endpoint_answering_no_key_set_makes_the_keys_unavailable(
    jwks: JwksServer, keys: dict[str, Any], status: int, body: bytes
) -> None:
    jwks.status, jwks.body = status, body

    assert refusal(verifier(jwks.url), t.sign(keys["rsa"], kid="k-rsa")) == "token-keys-unavailable"


def test_a_stalled_endpoint_is_given_up_after_the_timeout(jwks: JwksServer, keys: dict[str, Any]) -> None:
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"))
    jwks.stall.set()

    assert refusal(verifier(jwks.url, jwks_timeout_seconds=0.3), t.sign(keys["rsa"], kid="k-rsa")) == "token-keys-unavailable"


def test_a_failed_fetch_is_remembered_and_unknown_kids_do_not_flood_the_issuer(
    jwks: JwksServer, keys: dict[str, Any]
) -> None:
    jwks.status, jwks.body = 500, b"oops"
    failing = verifier(jwks.url)

    refusals = {refusal(failing, t.sign(keys["rsa"], kid=f"k-{n}")) for n in range(20)}

    assert refusals == {"token-keys-unavailable"} and jwks.requests == 1  # answered 503 meanwhile, no refetch
    jwks.status = 200
    jwks.serve(t.jwk(keys["rsa"], "k-rsa", "RS256"))
    working = verifier(jwks.url)
    assert working.verify(t.sign(keys["rsa"], kid="k-rsa")).role == "billing"
    fetched = jwks.requests
    assert {refusal(working, t.sign(keys["rsa"], kid=f"unknown-{n}")) for n in range(20)} == {"invalid-token-signature"}
    assert jwks.requests - fetched <= 1  # unknown kids refetch at most once per cooldown
