"""HTTP and WebSocket status codes as ``fastapi.status`` names them, with a line on when to use each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus

# Our own one-line guidance, for a FastAPI developer choosing a code.
_MEANING: dict[int, str] = {
    100: "Interim reply: the client may go on sending the request body.",
    101: "The server is switching protocols as asked (for example to WebSocket).",
    102: "WebDAV interim reply: the request is still being processed.",
    103: "Early hints: lets the client preload resources before the final response.",
    200: "Success with a body. The default for most path operations.",
    201: "A new resource was created. Use it for POST endpoints that create things.",
    202: "Accepted for later processing (a queued job); the work is not done yet.",
    203: "Success, but the body was altered by a transforming proxy.",
    204: "Success with no body. Typical for DELETE or updates that return nothing.",
    205: "Success; the client should reset the form or view that sent the request.",
    206: "Only part of the resource is returned, as asked with a Range header.",
    207: "WebDAV: the body holds separate statuses for several resources.",
    208: "WebDAV: members already listed earlier in this reply are not repeated.",
    226: "The response is the result of instance manipulations applied to the resource.",
    300: "Several representations exist; the client should pick one.",
    301: "The resource moved for good; clients and search engines should use the new URL.",
    302: "Temporary redirect; the client repeats the request at another URL.",
    303: "See another URL with GET, e.g. after a form POST (Post/Redirect/Get).",
    304: "Not modified since the client's cached copy (conditional GET).",
    305: "Deprecated: the resource must be reached through a proxy.",
    307: "Temporary redirect that keeps the method and body (the default of RedirectResponse).",
    308: "Permanent redirect that keeps the method and body.",
    400: "The request is malformed or invalid; the client must change it before retrying.",
    401: "Authentication is missing or wrong. Send a WWW-Authenticate header with it.",
    402: "Reserved for payment-related refusals.",
    403: "Authenticated, but not allowed to do this.",
    404: "Nothing exists at this path or with this id. Raise it with HTTPException.",
    405: "The path exists but does not accept this HTTP method.",
    406: "None of the media types the client accepts can be produced.",
    407: "The client must authenticate with the proxy first.",
    408: "The client took too long to send the request.",
    409: "Conflicts with the resource's current state, e.g. a duplicate unique value.",
    410: "The resource existed but is gone for good.",
    411: "The request needs a Content-Length header.",
    412: "A precondition header (If-Match, If-Unmodified-Since) did not hold.",
    413: "The request body is larger than the server accepts.",
    414: "The URL is longer than the server accepts.",
    415: "The request body's media type is not supported.",
    416: "The requested Range cannot be served.",
    417: "The Expect header's requirement cannot be met.",
    418: "An April Fools' code from RFC 2324; not for real APIs.",
    421: "The request reached a server that cannot answer for this host.",
    422: "Well-formed but semantically invalid data. FastAPI returns it for validation errors.",
    423: "WebDAV: the resource is locked.",
    424: "WebDAV: failed because an earlier request it depends on failed.",
    425: "The server will not process a request that might be replayed (TLS early data).",
    426: "The client must switch to another protocol, given in the Upgrade header.",
    428: "The server requires a conditional request (If-Match) to avoid lost updates.",
    429: "Rate limited: the client sent too many requests. Add Retry-After.",
    431: "The request headers are too large.",
    451: "Refused for legal reasons.",
    500: "An unexpected error on the server. Unhandled exceptions become this.",
    501: "The server does not support what the request needs.",
    502: "A gateway or proxy got a bad reply from the upstream server.",
    503: "Temporarily unavailable (overloaded or in maintenance). Add Retry-After.",
    504: "A gateway or proxy timed out waiting for the upstream server.",
    505: "The HTTP version of the request is not supported.",
    506: "Content negotiation is misconfigured on the server.",
    507: "WebDAV: the server cannot store what is needed to complete the request.",
    508: "WebDAV: an infinite loop was detected while processing.",
    510: "Further extensions to the request are required.",
    511: "The client must authenticate to gain network access (captive portal).",
}

_WS: dict[int, tuple[str, str]] = {
    1000: ("Normal Closure", "The connection finished its purpose and closes cleanly."),
    1001: ("Going Away", "The server is shutting down or the browser left the page."),
    1002: ("Protocol Error", "The peer broke the WebSocket protocol."),
    1003: ("Unsupported Data", "Received a data type it cannot accept (e.g. binary when only text is handled)."),
    1005: ("No Status Received", "Reserved: no close code was present."),
    1006: ("Abnormal Closure", "Reserved: the connection dropped without a close frame."),
    1007: ("Invalid Frame Payload Data", "A message's data did not match its type (e.g. bad UTF-8 in text)."),
    1008: ("Policy Violation", "A generic refusal, e.g. failed authentication in a WebSocket endpoint."),
    1009: ("Message Too Big", "A message was too large to process."),
    1010: ("Mandatory Extension", "The client expected an extension the server did not negotiate."),
    1011: ("Internal Error", "The server hit an unexpected condition."),
    1012: ("Service Restart", "The server is restarting; the client may reconnect."),
    1013: ("Try Again Later", "Temporarily overloaded; reconnect later."),
    1014: ("Bad Gateway", "A gateway got an invalid response from upstream."),
    1015: ("TLS Handshake", "Reserved: the TLS handshake failed."),
}

_NAME_RE = re.compile(r"^(HTTP|WS)_(\d{3,4})_([A-Z0-9_]+)$")


@dataclass(frozen=True, slots=True)
class StatusCode:
    name: str  # HTTP_404_NOT_FOUND
    code: int
    phrase: str
    meaning: str
    websocket: bool = False

    @property
    def category(self) -> str:
        if self.websocket:
            return "WebSocket close code"
        return {1: "informational", 2: "success", 3: "redirection", 4: "client error", 5: "server error"}.get(self.code // 100, "")


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def describe(name: str) -> StatusCode | None:
    """Describe ``HTTP_404_NOT_FOUND`` / ``WS_1008_POLICY_VIOLATION`` (None for other names)."""
    m = _NAME_RE.match(name)
    if not m:
        return None
    kind, number = m.group(1), int(m.group(2))
    if kind == "WS":
        phrase, meaning = _WS.get(number, (m.group(3).replace("_", " ").title(), "A WebSocket close code."))
        return StatusCode(name, number, phrase, meaning, websocket=True)
    named = m.group(3).replace("_", " ").title()
    try:
        phrase = HTTPStatus(number).phrase
    except ValueError:
        phrase = named
    if _letters(phrase) != _letters(named):
        # the name follows a newer RFC than this Python's table (422 Unprocessable Content)
        phrase = named
    meaning = _MEANING.get(number) or f"HTTP {number} {phrase}."
    return StatusCode(name, number, phrase, meaning)


def all_names() -> list[str]:
    """Every ``HTTP_*`` and ``WS_*`` name of ``starlette.status`` (from the stdlib table + ours)."""
    names = []
    for status in HTTPStatus:
        names.append(f"HTTP_{status.value}_{status.name}")
    for code, (phrase, _) in _WS.items():
        names.append(f"WS_{code}_{phrase.upper().replace(' ', '_')}")
    return names
