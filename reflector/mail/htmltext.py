"""HTML mail bodies as readable plain text (pure; stdlib `html.parser` only).

Good enough for a classifier and for quoting in a digest, not a renderer: scripts, styles and
the document head are dropped, block elements start new lines, table cells are separated by
spaces, links keep their target when it differs from the link text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "object"})
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_RUNS = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self.chunks.append("\n")
        elif tag in _BLOCK:
            self.chunks.append("\n")
            if tag == "li":
                self.chunks.append("- ")
            elif tag == "pre":
                self.pre_depth += 1
        elif tag in _CELL:
            self.chunks.append(" ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>, <p/>: an empty element still breaks the line; never opens a skip.
        if tag not in _SKIP:
            self.handle_starttag(tag, attrs)
            if tag == "pre":
                self.pre_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.chunks.append("\n")
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
        elif tag == "a" and self.href is not None:
            shown = "".join(self.link_text).strip()
            target = self.href.strip()
            if target.startswith(("http:", "https:", "ftp:")) and target not in (shown, ""):
                self.chunks.append(f" <{target}>")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = data if self.pre_depth else _SPACES.sub(" ", data)
        self.chunks.append(text)
        if self.href is not None:
            self.link_text.append(text)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body.

    >>> html_to_text("<p>Dear <b>Secretariat</b>,</p><p>see&nbsp;below<br>Thanks</p>")
    'Dear Secretariat,\\n\\nsee below\\nThanks'
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.chunks).replace("\u00a0", " ")
    lines = [line.strip(" \t") for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
