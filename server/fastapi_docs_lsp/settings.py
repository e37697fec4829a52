"""Typed, fully defaulted settings.

Settings arrive as ``initializationOptions`` and from ``workspace/configuration`` (section
``fastapi``). Either shape is accepted: ``{"fastapi": {...}}`` or the inner dict itself.
Unknown keys produce a warning; values of the wrong type produce a message and keep the
default. Parsing never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

SEVERITIES = ("off", "error", "warning", "information", "hint")


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
    rules: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    #: the project's Python interpreter; its fastapi/starlette are the ones documented
    pythonPath: str = ""
    #: extra documentation folders (skill folders or mkdocs docs trees)
    referencePaths: tuple[str, ...] = ()
    #: where fastapi.openReference opens a section: "browser" or "editor" (local source)
    openReferencesIn: str = "browser"
    #: read FastAPI's own skill shipped inside the installed package
    useInstalledSkill: bool = True
    #: workspace/symbol queries starting with this prefix search the docs instead of routes
    docsSearchPrefix: str = "?"
    #: files larger than this many bytes are not analysed
    maxFileSize: int = 3_000_000
    #: stderr/log level ("error" | "warning" | "info" | "debug"); ``--log-level`` wins over it
    logLevel: str = "warning"
    hover: HoverSettings = field(default_factory=HoverSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)


_CHOICES: dict[str, tuple[str, ...]] = {
    "openReferencesIn": ("browser", "editor"),
    "logLevel": ("error", "warning", "info", "debug"),
}

#: names some clients use for the same thing
_ALIASES = {"interpreter": "pythonPath", "python": "pythonPath"}


def _check(name: str, value: Any, default: Any, problems: list[str]) -> Any:
    """Return ``value`` coerced to the type of ``default``, or ``default`` with a problem noted."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    elif isinstance(default, str):
        if value is None:
            return default
        if isinstance(value, str):
            choices = _CHOICES.get(name)
            if choices and value not in choices:
                problems.append(f"setting {name!r}: {value!r} is not one of {', '.join(choices)}; using {default!r}")
                return default
            return value
    elif isinstance(default, tuple):
        if isinstance(value, str):
            return (value,) if value else ()
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
    elif isinstance(default, dict):
        if isinstance(value, dict):
            good = {}
            for k, v in value.items():
                if isinstance(v, str) and v in SEVERITIES:
                    good[str(k)] = v
                else:
                    problems.append(f"setting {name}.{k}: {v!r} is not one of {', '.join(SEVERITIES)}; ignored")
            return good
    problems.append(f"setting {name!r}: {value!r} has the wrong type (expected {type(default).__name__}); using the default")
    return default


def _parse_into(obj: Any, data: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = _ALIASES.get(raw_key, raw_key)
        full = f"{prefix}{key}"
        if key not in known:
            problems.append(f"unknown setting {prefix}{raw_key!r} ignored")
            continue
        default = getattr(obj, key)
        if hasattr(default, "__dataclass_fields__"):
            if isinstance(value, dict):
                changes[key] = _parse_into(default, value, f"{full}.", problems)
            elif value is not None:
                problems.append(f"setting {full!r}: expected an object, got {value!r}; using the defaults")
            continue
        changes[key] = _check(full, value, default, problems)
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
