"""The hash functions miglint uses (fingerprints, summaries, the manifest, the result cache
keys), without importing :mod:`hashlib`.

``import hashlib`` loads OpenSSL (``_hashlib``: ~11 M instructions, about 4 % of a one-file
lint, and a shared library to map) to offer its implementations first. CPython also builds
its own SHA-1, SHA-256 and BLAKE2 into the interpreter (the modules hashlib falls back to:
``_sha1``, ``_sha256`` — ``_sha2`` from 3.12 —, ``_blake2``); the digests are the same
bytes, and for the short texts hashed here they are as fast. Where an interpreter lacks
them, :mod:`hashlib` is used.
"""

from __future__ import annotations

try:
    from _sha2 import sha256  # CPython 3.12+
except ImportError:
    try:
        from _sha256 import sha256  # CPython 3.11
    except ImportError:  # pragma: no cover - an interpreter built without it
        from hashlib import sha256
try:
    from _sha1 import sha1
except ImportError:  # pragma: no cover
    from hashlib import sha1
try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

__all__ = ["blake2b", "sha1", "sha256"]
