"""Personal data encrypted per customer (crypto-shredding).

Each customer has a data key (AES-256-GCM), stored wrapped by the master key in the event
store's key table (adapters.data_keys). A personal field of an event (``domain.personal``) is
stored as a token, a string::

    enc1:<customer id>:<key id>:<base64 of 12-byte nonce | ciphertext and tag>

whose associated data binds it to the customer, the aggregate and the field name, so a token
moved to another event or field does not decrypt (TamperedError). The key id (a short hash of
the data key) tells a token sealed under a destroyed key from a tampered one. Destroying the customer's key (erasure) makes
every token of the customer unreadable: it reads as ``domain.personal.ERASED``. A value stored
before encryption was introduced is plaintext and reads as it is.

Keys are cached per process for ``ttl`` seconds: after an erasure another process may still
decrypt the customer's data for at most that long.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from adapters.data_keys import DataKeyStore

log = logging.getLogger(__name__)

PREFIX = "enc1:"
_NONCE = 12
#: The master key of development databases (embedded SQLite only): anyone can read it here.
DEVELOPMENT_MASTER_KEY = base64.b64encode(b"journey-development-master-key!!").decode()


class TamperedError(Exception):
    """A token does not open under the key it names: it was altered or moved."""


class MasterKeyError(Exception):
    """The master key is missing, malformed, or not the one the data keys were wrapped with."""


def parse_master_key(encoded: str) -> bytes:
    """The 32 bytes of a base64 master key; MasterKeyError otherwise."""
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError("the master key must be base64") from None
    if len(key) != 32:
        raise MasterKeyError(f"the master key must be 32 bytes (base64 of 32 bytes), not {len(key)}")
    return key


def new_master_key() -> str:
    """A fresh random master key, base64 (for ``JOURNEY_MASTER_KEY``)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def is_token(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def token_owner(token: str) -> str:
    """The customer id a token names (a malformed token yields a string no customer has)."""
    return token[len(PREFIX) :].rsplit(":", 2)[0]


def associated_data(customer_id: str, aggregate: bytes, field: str) -> bytes:
    """What a token is bound to: the customer, the aggregate (its id's 16 bytes), the field."""
    return b"%s\x1f%s\x1f%s" % (customer_id.encode(), aggregate, field.encode())


class DataKey:
    """A customer's data key, opened, with its id (a short hash of the key)."""

    __slots__ = ("aead", "kid")

    def __init__(self, key: bytes) -> None:
        self.aead = AESGCM(key)
        self.kid = base64.b64encode(hashlib.sha256(key).digest()[:6]).decode()


class KeyRing:
    """The process's view of the data keys: wraps new keys with the master key, unwraps stored
    ones, and caches them (and the absence of an erased key) for ``ttl`` seconds, at most
    ``size`` customers."""

    def __init__(
        self,
        store: DataKeyStore,
        master_key: bytes,
        ttl: float = 5.0,
        *,
        size: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._master = AESGCM(master_key)
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._cache: OrderedDict[str, tuple[DataKey | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _wrap(self, customer_id: str, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._master.encrypt(nonce, key, b"journey-data-key\x1f" + customer_id.encode())

    def _unwrap(self, customer_id: str, wrapped: bytes) -> DataKey:
        try:
            key = self._master.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], b"journey-data-key\x1f" + customer_id.encode())
        except InvalidTag:
            raise MasterKeyError(
                f"the data key of customer {customer_id!r} does not open with this master key"
            ) from None
        return DataKey(key)

    def _cached(self, customer_id: str, now: float) -> tuple[DataKey | None, float] | None:
        entry = self._cache.get(customer_id)
        if entry is None or entry[1] <= now:
            return None
        return entry

    def _remember(self, customer_id: str, aead: DataKey | None, now: float) -> None:
        with self._lock:
            self._cache[customer_id] = (aead, now + self.ttl)
            self._cache.move_to_end(customer_id)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)

    def ensure(self, customer_ids: Iterable[str]) -> None:
        """Make sure each customer has a stored key, and cache it: the keys of customers new to
        the store are created (and committed) here, before any of their events is stored."""
        now = self.clock()
        needed = [c for c in dict.fromkeys(customer_ids) if (self._cached(c, now) or (None,))[0] is None]
        if not needed:
            return
        found = self.store.wrapped(needed)
        missing = [c for c in needed if c not in found]
        if missing:
            self.store.add_missing(
                [(c, self._wrap(c, AESGCM.generate_key(bit_length=256))) for c in missing], datetime.now(UTC)
            )
            found.update(self.store.wrapped(missing))  # another process may have won the race
        for customer_id in needed:
            self._remember(customer_id, self._unwrap(customer_id, found[customer_id]), now)

    def prefetch(self, customer_ids: Iterable[str]) -> None:
        """Look up, in one round trip, the stored keys of those of ``customer_ids`` not cached,
        and cache them (or their absence) as ``for_reading`` would, for ``ttl`` seconds."""
        now = self.clock()
        needed = [c for c in customer_ids if self._cached(c, now) is None]
        if not needed:
            return
        found = self.store.wrapped(needed)
        for customer_id in needed:
            wrapped = found.get(customer_id)
            self._remember(customer_id, None if wrapped is None else self._unwrap(customer_id, wrapped), now)

    def for_writing(self, customer_id: str) -> DataKey:
        """The customer's key, created when the customer has none."""
        entry = self._cached(customer_id, self.clock())
        if entry is None or entry[0] is None:
            self.ensure([customer_id])
            entry = self._cache[customer_id]
        assert entry[0] is not None  # noqa: S101 -- ensure cached a key
        return entry[0]

    def for_reading(self, customer_id: str) -> DataKey | None:
        """The customer's key; None when it was destroyed (the customer was erased)."""
        now = self.clock()
        entry = self._cached(customer_id, now)
        if entry is not None:
            return entry[0]
        wrapped = self.store.wrapped([customer_id]).get(customer_id)
        aead = None if wrapped is None else self._unwrap(customer_id, wrapped)
        self._remember(customer_id, aead, now)
        return aead

    def destroy(self, customer_id: str) -> bool:
        """Delete the customer's key from the store and from this process's cache; False when
        it had none. Other processes forget it within ``ttl`` seconds."""
        deleted = self.store.delete(customer_id)
        self.forget(customer_id)
        return deleted

    def forget(self, customer_id: str) -> None:
        with self._lock:
            self._cache.pop(customer_id, None)


class FieldCipher:
    """Encrypts one value into a token and back, with a customer's key from ``keys``."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def encrypt(self, plaintext: bytes, customer_id: str, aggregate: bytes, field: str) -> str:
        key = self.keys.for_writing(customer_id)
        nonce = os.urandom(_NONCE)
        sealed = key.aead.encrypt(nonce, plaintext, associated_data(customer_id, aggregate, field))
        return f"{PREFIX}{customer_id}:{key.kid}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, aggregate: bytes, field: str) -> bytes | None:
        """The plaintext of ``token``; None when the key it was sealed under is gone (the
        customer was erased). TamperedError when it does not open under that key."""
        try:
            customer_id, kid, sealed = token[len(PREFIX) :].rsplit(":", 2)
            data = binascii.a2b_base64(sealed, strict_mode=True)
        except (ValueError, binascii.Error):
            raise TamperedError(f"malformed token of field {field}") from None
        key = self.keys.for_reading(customer_id)
        if key is None or key.kid != kid:
            return None
        try:
            return key.aead.decrypt(data[:_NONCE], data[_NONCE:], associated_data(customer_id, aggregate, field))
        except InvalidTag:
            raise TamperedError(f"field {field} of aggregate {aggregate.hex()} does not open under customer {customer_id!r}'s key") from None
