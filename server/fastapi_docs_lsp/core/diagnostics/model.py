"""Rules, their codes and doc links, and the ``Diagnostic`` record."""

from __future__ import annotations

import logging
from collections.abc import Mapping
import re
from dataclasses import dataclass

from ..fixes import (
    Fix,
)
from ..routes import (
    Span,
)

log = logging.getLogger(__name__)


SOURCE = "fastapi"


SEVERITIES = ("error", "warning", "information", "hint")


DOCS = "https://fastapi.tiangolo.com/"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    severity: str  # default: error | warning | information | hint | off
    url: str  # the doc section explaining it


RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("FA001", "path-param-missing", "warning", DOCS + "tutorial/path-params/"),
        Rule("FA002", "deprecated-parameter", "warning", DOCS + "tutorial/query-params-str-validations/#add-regular-expressions"),
        Rule("FA003", "on-event-deprecated", "warning", DOCS + "advanced/events/#lifespan"),
        Rule("FA004", "dependency-called", "error", DOCS + "tutorial/dependencies/#declare-the-dependency-in-the-dependant"),
        Rule("FA005", "duplicate-route", "warning", DOCS + "tutorial/path-params/#order-matters"),
        Rule("FA006", "shadowed-route", "warning", DOCS + "tutorial/path-params/#order-matters"),
        Rule("FA007", "unused-router", "hint", DOCS + "tutorial/bigger-applications/#include-the-apirouters-for-users-and-items"),
        Rule("FA008", "redundant-response-model", "hint", DOCS + "tutorial/response-model/#response-model-or-return-type"),
        Rule("FA009", "prefer-annotated", "off", DOCS + "tutorial/query-params-str-validations/#advantages-of-annotated"),
    )
}


_BY_NAME = {r.name: r.code for r in RULES.values()}


#: doc sections for the deprecated parameters we know best
DEPRECATED_PARAM_URLS = {
    "regex": DOCS + "tutorial/query-params-str-validations/#add-regular-expressions",
    "example": DOCS + "tutorial/schema-extra-example/#examples-in-json-schema-openapi",
}


#: used only when the installed FastAPI could not be read
FALLBACK_DEPRECATED = {
    name: {
        "regex": "Deprecated in FastAPI 0.100.0 and Pydantic v2, use `pattern` instead.",
        "example": "Deprecated in OpenAPI 3.1.0 that now uses JSON Schema 2020-12, although still supported. Use examples instead.",
    }
    for name in ("Query", "Path", "Body", "Header", "Cookie", "Form", "File", "Param")
}


#: FastAPI's parameter functions (``fastapi.Query``...) and dependency markers
MARKERS = frozenset(("Depends", "Security", "Query", "Path", "Body", "Header", "Cookie", "Form", "File"))


DEPENDENCY_MARKERS = frozenset(("Depends", "Security"))


CONVERTOR_TYPES = {"int": "int", "float": "float", "str": "str", "path": "str", "uuid": "UUID"}


_HARMLESS_DECORATORS = re.compile(r"^(functools\.)?(lru_cache|cache|cached_property|wraps)\b")


@dataclass(frozen=True, slots=True)
class Related:
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    rule: str
    severity: str
    message: str
    span: Span
    href: str | None = None
    tags: tuple[str, ...] = ()  # "deprecated" | "unnecessary"
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()

    @property
    def line(self) -> int:
        return self.span.line


def severity_for(code: str, overrides: Mapping[str, str] | None) -> str:
    """The configured severity of a rule: by code (``FA001``), or by name (``path-param-missing``)."""
    rule = RULES[code]
    if overrides:
        for key in (code, code.lower(), rule.name):
            value = overrides.get(key)
            if value:
                return value
    return rule.severity


def rule_code(key: str) -> str | None:
    """``FA001`` or ``path-param-missing`` -> ``FA001``."""
    if key.upper() in RULES:
        return key.upper()
    return _BY_NAME.get(key)
