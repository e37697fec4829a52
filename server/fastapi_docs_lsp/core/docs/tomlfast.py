"""TOML for the catalog, read fast: a line reader for the plain subset the catalog is written in.

``tomllib`` is pure Python and reads the catalog's half megabyte in a quarter of a second,
on the path of the first hover after a start with an empty cache (issue 12). The catalog uses
a small part of TOML, one item per line: ``[[table]]`` and ``[[table.sub]]`` headers, and
``key = value`` lines whose value is a basic string, an integer, a boolean or a one-line array
of strings. Those values are JSON too (with TOML's escapes, but for ``\\e`` and ``\\U``), so
each one is read with ``json.loads`` (C). Any other line (a comment after a value, a
multi-line string or array, a literal string, a dotted key, a table header ...) sends the whole
text to ``tomllib``: the answer is always ``tomllib``'s (the tests compare them).
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # pyright: ignore[reportMissingImports]

__all__ = ["TOMLDecodeError", "loads"]

TOMLDecodeError = tomllib.TOMLDecodeError

_HEADER = re.compile(r"\[\[([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?\]\]")
_KEY_VALUE = re.compile(r'([A-Za-z0-9_-]+) = ("(?:[^"\\\x00-\x1f\x7f]+|\\[btnfr"\\]|\\u[0-9A-Fa-f]{4})*"|[+-]?(?:0|[1-9][0-9]*)|true|false|\[.*\])')
_STRING_ARRAY = re.compile(r'\[(?:[ \t]*"(?:[^"\\\x00-\x1f\x7f]+|\\[btnfr"\\]|\\u[0-9A-Fa-f]{4})*"[ \t]*(?:,(?=[ \t]*")|(?=[ \t]*\])))*[ \t]*\]')
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # not allowed in a TOML comment
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9A-Fa-f]{2}")


class _Unsure(Exception):
    """A line outside the subset: ``tomllib`` reads the text."""


def loads(text: str) -> dict[str, Any]:
    """``tomllib.loads(text)``, fast for the catalog's subset of TOML. Raises what it raises."""
    try:
        return _loads_subset(text)
    except _Unsure:
        return tomllib.loads(text)


def _checked(raw: str) -> str:
    """``raw`` if JSON reads it as TOML does."""
    if raw[0] == "[" and not _STRING_ARRAY.fullmatch(raw):
        raise _Unsure(raw)
    if "\\u" in raw and _SURROGATE_ESCAPE.search(raw):
        raise _Unsure(raw)  # TOML refuses escaped surrogates; JSON reads them
    if raw[0] == "+" or raw.startswith("-0"):
        raise _Unsure(raw)  # TOML's, not JSON's
    return raw


def _loads_subset(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    table = root
    arrays: set[int] = set()  # the arrays of tables made by ``[[x]]`` headers (not values)
    slots: list[tuple[dict[str, Any], str]] = []  # where each value goes, in order
    raws: list[str] = []  # the values, as written (JSON too), read all at once at the end
    for line in text.split("\n"):
        line = line.rstrip("\r").strip(" \t")
        if not line:
            continue
        if line[0] == "#":
            if _CONTROL.search(line):
                raise _Unsure(line)
            continue
        if line[0] == "[":
            header = _HEADER.fullmatch(line)
            if header is None:
                raise _Unsure(line)
            name, sub = header.groups()
            owner = root
            if sub is not None:
                parent = root.get(name)
                if not isinstance(parent, list) or id(parent) not in arrays or not parent:
                    raise _Unsure(line)
                owner, name = parent[-1], sub
            if name not in owner:
                owner[name] = []
                arrays.add(id(owner[name]))
            array = owner[name]
            if id(array) not in arrays or not isinstance(array, list):
                raise _Unsure(line)  # a key that is not an array of tables: tomllib says why
            table = {}
            array.append(table)
            continue
        pair = _KEY_VALUE.fullmatch(line)
        if pair is None or pair.group(1) in table:
            raise _Unsure(line)
        key = pair.group(1)
        table[key] = None  # taken (a second one is a TOML error)
        slots.append((table, key))
        raws.append(_checked(pair.group(2)))
    try:
        values = json.loads("[" + ",".join(raws) + "]")
    except ValueError as exc:  # not expected after the patterns above: tomllib decides
        raise _Unsure(str(exc)) from exc
    for (owner, key), value in zip(slots, values):
        owner[key] = value
    return root
