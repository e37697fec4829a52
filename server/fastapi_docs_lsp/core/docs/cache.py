"""On-disk cache of parsed documentation (pickle files in the user cache folder).

An entry is stored under a *name* (which source it is) and validated by a *key* (what it was
built from: files' mtimes and sizes, parser versions, the ``Section`` shape). Storing an entry
removes older entries of the same name. A corrupt, stale or unreadable entry is ignored with
a log line; nothing here raises.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import fields
from pathlib import Path
from typing import Any, BinaryIO

from ..digest import hexdigest
from ..files import write_atomically
from .model import Section

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
_MAGIC = b"FADLC1\n"
#: the cache must not survive a change of the Section dataclass
SECTION_SHAPE = ",".join(f.name for f in fields(Section))


def make_key(*parts: Any) -> str:
    return hexdigest(repr((CACHE_FORMAT, SECTION_SHAPE, parts)))


def entry_name(kind: str, ident: str) -> str:
    """File-name-safe name for a source: ``skill-<hash of its path>``."""
    return f"{kind}-{hexdigest(ident, 16)}"


def _file(cache_dir: Path, name: str) -> Path:
    return cache_dir / f"{name}.pickle"


def load(cache_dir: str | Path | None, name: str, key: str) -> Any | None:
    """The object stored under ``name`` if it was stored with ``key``; otherwise ``None``."""
    if cache_dir is None:
        return None
    path = _file(Path(cache_dir), name)
    try:
        with open(path, "rb") as fh:
            if fh.read(len(_MAGIC)) != _MAGIC:
                log.info("docs cache %s: unknown format; ignored", path)
                return None
            stored_key = fh.readline().decode("ascii", "replace").strip()
            if stored_key != key:
                return None
            return pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - logged: corrupt file, truncated write, incompatible pickle
        log.warning("docs cache %s is unreadable (%s); rebuilding", path, exc)
        return None


def store(cache_dir: str | Path | None, name: str, key: str, obj: Any) -> bool:
    """Write atomically (temp file + rename). Returns False (logged) when it cannot."""
    if cache_dir is None:
        return False
    folder = Path(cache_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)

        def write(fh: BinaryIO) -> None:
            fh.write(_MAGIC)
            fh.write(key.encode("ascii") + b"\n")
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)

        write_atomically(_file(folder, name), write)
        return True
    except Exception as exc:  # noqa: BLE001 - logged
        log.warning("docs cache: cannot write %s (%s)", _file(folder, name), exc)
        return False


def pack_sections(sections: list[Section]) -> list[tuple[Any, ...]]:
    """Plain tuples: smaller pickles that load faster than dataclass instances."""
    names = SECTION_SHAPE.split(",")
    return [tuple(getattr(s, n) for n in names) for s in sections]


def unpack_sections(rows: list[tuple[Any, ...]]) -> list[Section]:
    return [Section(*row) for row in rows]
