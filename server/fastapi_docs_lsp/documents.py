"""Open documents kept as a list of lines, so an incremental ``didChange`` costs O(edit), not O(file).

pygls' ``TextDocument`` re-splits the whole text (``str.splitlines``) for every change and every
position conversion: ~7 ms per keystroke on a 50,000-line module. It also splits on characters
LSP clients do not treat as line breaks (form feed, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028/9), so
an edit after such a character lands on the wrong line. ``SyncedDocument`` keeps the text as
lines split the way the protocol defines them (``\\n``, ``\\r\\n``, ``\\r``), applies a change by
splicing the lines it touches, and joins the full text lazily (once per version).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace import Workspace
from pygls.workspace.text_document import TextDocument

_BREAK = re.compile(r"(\r\n|\r|\n)")


def split_lines(text: str) -> list[str]:
    """LSP lines with their terminators; the last item is the text after the last break (maybe "").

    ``"".join(split_lines(t)) == t`` and ``len(split_lines(t))`` is the number of lines a client sees.
    """
    if "\r" not in text:
        parts = text.split("\n")
        last = parts.pop()
        out = [p + "\n" for p in parts]
        out.append(last)
        return out
    parts = _BREAK.split(text)
    out = [parts[i] + parts[i + 1] for i in range(0, len(parts) - 1, 2)]
    out.append(parts[-1])
    return out


def _content_length(line: str) -> int:
    if line.endswith("\r\n"):
        return len(line) - 2
    if line.endswith(("\n", "\r")):
        return len(line) - 1
    return len(line)


class SyncedDocument(TextDocument):
    """A ``TextDocument`` whose incremental changes touch only the lines they edit."""

    def __init__(self, uri: str, source: str | None = None, *args, **kwargs) -> None:
        super().__init__(uri, source, *args, **kwargs)
        self._line_list: list[str] | None = split_lines(source) if source is not None else None
        self._joined: str | None = source

    # ---- text --------------------------------------------------------------------------

    def _ensure_lines(self) -> list[str]:
        if self._line_list is None:
            self._line_list = split_lines(self.source)
        return self._line_list

    @property
    def source(self) -> str:  # type: ignore[override]
        if self._joined is None:
            if self._line_list is not None:
                self._joined = "".join(self._line_list)
            else:
                return super().source  # not open: read from disk (not cached, like pygls)
        return self._joined

    @property
    def lines(self) -> Sequence[str]:  # type: ignore[override]
        """Lines with their terminators (the pygls contract), split as LSP clients split them."""
        lines = self._ensure_lines()
        return tuple(lines[:-1]) if lines and lines[-1] == "" else tuple(lines)

    def line_count(self) -> int:
        return len(self._ensure_lines())

    def line(self, index: int) -> str:
        """Line ``index`` without its terminator ("" outside the document)."""
        lines = self._ensure_lines()
        if 0 <= index < len(lines):
            text = lines[index]
            return text[: _content_length(text)]
        return ""

    # ---- changes -------------------------------------------------------------------------

    def _set_source(self, text: str) -> None:
        self._source = text
        self._joined = text
        self._line_list = split_lines(text)

    def _apply_full_change(self, change: types.TextDocumentContentChangeEvent) -> None:
        self._set_source(change.text)

    def _column(self, line: str, character: int) -> int:
        """Client column (in the negotiated encoding) -> code points, clamped to the line's content."""
        content = line[: _content_length(line)]
        character = max(0, character)
        if content.isascii() or self._position_codec.encoding == types.PositionEncodingKind.Utf32:
            return min(character, len(content))
        counter = self._position_codec.impl
        units = 0
        for i, ch in enumerate(content):
            if units >= character:
                return i
            units += counter.code_units_for_char(ch)
        return len(content)

    def _apply_incremental_change(self, change: types.TextDocumentContentChangePartial) -> None:
        lines = self._ensure_lines()
        start, end = change.range.start, change.range.end
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        last = len(lines) - 1

        def point(pos: types.Position) -> tuple[int, int]:
            if pos.line < 0:
                return 0, 0
            if pos.line > last:  # past the end: the end of the document
                return last, len(lines[last])
            return pos.line, self._column(lines[pos.line], pos.character)

        sl, sc = point(start)
        el, ec = point(end)
        if (el, ec) < (sl, sc):
            el, ec = sl, sc
        # Re-split the edited text together with its neighbours, so a "\r" + "\n" that the edit
        # brings together (or pulls apart) becomes the single line break the client sees.
        a = max(0, sl - 1)
        b = min(len(lines), el + 2)
        region = "".join(lines[a:sl]) + lines[sl][:sc] + change.text + lines[el][ec:] + "".join(lines[el + 1 : b])
        pieces = split_lines(region)
        if b < len(lines):
            pieces.pop()  # the region ends with a line break: its trailing "" is line b's start
        lines[a:b] = pieces
        self._joined = None
        self._source = None  # pygls' attribute: the text is ``source`` (joined on demand)


class DiskDocument(TextDocument):
    """A file that is not open: read on demand, size-capped and binary-refused (never 1 GB into memory)."""

    max_file_size = 3_000_000

    def __init__(self, *args, max_file_size: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if max_file_size is not None:
            self.max_file_size = max_file_size
        self.unreadable = False

    @property
    def source(self) -> str:  # type: ignore[override]
        from .core.workspace import read_file_text

        text = read_file_text(self.path, self.max_file_size) if self.path else None
        self.unreadable = text is None
        return text or ""


class SyncedWorkspace(Workspace):
    """A pygls ``Workspace`` that keeps open documents as ``SyncedDocument``."""

    max_file_size = 3_000_000

    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        if source is None:  # a file that is not open: read from disk, carefully
            return DiskDocument(
                doc_uri,
                version=version,
                language_id=language_id,
                sync_kind=self._sync_kind,
                position_codec=self._position_codec,
                max_file_size=self.max_file_size,
            )
        return SyncedDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )
