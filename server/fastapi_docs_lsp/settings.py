"""Typed, fully defaulted settings, read through cattrs.

Settings arrive as ``initializationOptions`` and from ``workspace/configuration`` (section
``fastapi``). Either shape is accepted: ``{"fastapi": {...}}`` or the inner dict itself.
Each field is structured on its own by a strict cattrs converter (no ``"yes"`` -> ``True``, no
negative sizes), from its type annotation: a ``Literal`` lists the allowed values, a nested
dataclass is a section. Unknown keys produce a warning; an invalid value produces a message
naming the setting and keeps the default. ``null`` means "not set". Parsing never raises.

Adding a setting is one line in a dataclass below, e.g. ``codeLens: bool = True`` or
``docsLanguage: str = "auto"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cache
from typing import Any, Literal, get_args, get_origin, get_type_hints

import cattrs

SEVERITIES = ("off", "error", "warning", "information", "hint")
Severity = Literal["off", "error", "warning", "information", "hint"]


@dataclass(frozen=True, slots=True)
class HoverSettings:
    enabled: bool = True
    #: how many "Docs:" links a hover shows (1-3 is readable)
    maxLinks: int = 3
    #: add a few lines of the best doc section when a rich source (skill/mkdocs) is loaded
    excerpt: bool = True


@dataclass(frozen=True, slots=True)
class CompletionSettings:
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class DiagnosticsSettings:
    enabled: bool = True
    #: rule code -> "off" | "error" | "warning" | "information" | "hint" (overrides defaults)
    rules: dict[str, Severity] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    #: the project's Python interpreter; its fastapi/starlette are the ones documented
    pythonPath: str = ""
    #: extra documentation folders (skill folders or mkdocs docs trees)
    referencePaths: tuple[str, ...] = ()
    #: where fastapi.openReference opens a section: "browser" or "editor" (local source)
    openReferencesIn: Literal["browser", "editor"] = "browser"
    #: read FastAPI's own skill shipped inside the installed package
    useInstalledSkill: bool = True
    #: workspace/symbol queries starting with this prefix search the docs instead of routes
    docsSearchPrefix: str = "?"
    #: files larger than this many bytes are not analysed
    maxFileSize: int = 3_000_000
    #: stderr/log level ("error" | "warning" | "info" | "debug"); ``--log-level`` wins over it
    logLevel: Literal["error", "warning", "info", "debug"] = "warning"
    #: language of the docs links and topic search: "auto" (the editor's locale) or a code (en, es, zh, zh-hant, ...)
    docsLanguage: str = "auto"
    codeLens: bool = True  # CodeLens above test-client calls ("→ GET /items/{id}") and routes ("N tests")
    hover: HoverSettings = field(default_factory=HoverSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)


#: names some clients use for the same thing
_ALIASES = {"interpreter": "pythonPath", "python": "pythonPath"}


def _strict(kind: type) -> Any:
    def structure(value: Any, _type: Any) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}")
        if kind is int and value < 0:
            raise ValueError("expected a number >= 0")
        return value

    return structure


def _string_tuple(value: Any, _type: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # one path given as a string
        return (value,) if value else ()
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError("expected a list of strings")


_converter = cattrs.Converter()
for _kind in (bool, int, str, float):
    _converter.register_structure_hook(_kind, _strict(_kind))
_converter.register_structure_hook_func(lambda tp: tp == tuple[str, ...], _string_tuple)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _type_name(tp: Any) -> str:
    if get_origin(tp) is tuple:
        return "list"
    return getattr(tp, "__name__", str(tp))


def _value(name: str, value: Any, default: Any, tp: Any, problems: list[str]) -> Any:
    """``value`` structured as ``tp``, or ``default`` with a problem noted."""
    if value is None:  # not set
        return default
    if get_origin(tp) is Literal:
        choices = get_args(tp)
        if value in choices:
            return value
        fallback = "ignored" if default is None else f"using {default!r}"
        problems.append(f"setting {name!r}: {value!r} is not one of {', '.join(map(str, choices))}; {fallback}")
        return default
    if get_origin(tp) is dict and isinstance(value, dict):
        _key_type, value_type = get_args(tp)
        good = {}
        for k, v in value.items():
            entry = _value(f"{name}.{k}", v, None, value_type, problems)
            if entry is not None:
                good[str(k)] = entry
        return good
    try:
        return _converter.structure(value, tp)
    except Exception as exc:  # noqa: BLE001  (reported to the user below, the default is kept)
        if isinstance(exc, ValueError):
            problems.append(f"setting {name!r}: {value!r} is invalid ({exc}); using the default")
        else:
            problems.append(f"setting {name!r}: {value!r} has the wrong type (expected {_type_name(tp)}); using the default")
        return default


def _parse_into(obj: Any, data: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    known = {f.name for f in fields(obj)}
    hints = _hints(type(obj))
    changes: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = _ALIASES.get(raw_key, raw_key)
        full = f"{prefix}{key}"
        if key not in known:
            problems.append(f"unknown setting {prefix}{raw_key!r} ignored")
            continue
        default = getattr(obj, key)
        if is_dataclass(default):
            if isinstance(value, dict):
                changes[key] = _parse_into(default, value, f"{full}.", problems)
            elif value is not None:
                problems.append(f"setting {full!r}: expected an object, got {value!r}; using the defaults")
            continue
        changes[key] = _value(full, value, default, hints[key], problems)
    return replace(obj, **changes) if changes else obj


def parse_settings(data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Parse a settings payload. Returns the settings and human-readable problems (never raises)."""
    base = base or Settings()
    problems: list[str] = []
    if data is None:
        return base, problems
    if not isinstance(data, dict):
        return base, [f"settings must be an object, got {type(data).__name__}; using the defaults"]
    if isinstance(data.get("fastapi"), dict):
        data = data["fastapi"]
    # VS Code sends {"server": {"interpreter": ...}} for extension-only options; they are not ours.
    data = {k: v for k, v in data.items() if k not in ("server", "trace")}
    return _parse_into(base, data, "", problems), problems


def settings_schema() -> dict[str, Any]:
    """Flat ``{"a.b": default}`` view, used by the editor clients' docs and tests."""
    out: dict[str, Any] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in fields(obj):
            v = getattr(obj, f.name)
            if hasattr(v, "__dataclass_fields__"):
                walk(v, f"{prefix}{f.name}.")
            else:
                out[f"{prefix}{f.name}"] = list(v) if isinstance(v, tuple) else v

    walk(Settings(), "")
    return out
