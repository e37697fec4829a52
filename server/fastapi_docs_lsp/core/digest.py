"""Content digests for cache keys, without OpenSSL.

``hashlib`` imports ``_hashlib``, which maps OpenSSL's libcrypto (~3.5 MB resident) into the
process; the server only needs stable, collision-resistant keys for its own caches. CPython's
bundled BLAKE2 (``_blake2``, no OpenSSL) provides them; ``hashlib``'s is used where it is absent.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b


def hasher():
    """A fresh hash object (``update`` / ``hexdigest``), 32-byte BLAKE2b."""
    return blake2b(digest_size=32)


def hexdigest(data: bytes | str, length: int = 64) -> str:
    """Hex digest of ``data`` (str is UTF-8 encoded, lone surrogates kept), cut to ``length``."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return blake2b(data, digest_size=32).hexdigest()[:length]
