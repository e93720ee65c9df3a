"""Markdown + LaTeX to sanitised HTML, entirely on the server (MathML: no CDN, no script)."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

import nh3
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

_MATHML_TAGS = {
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
    "mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mtable", "mtr", "mtd",
    "mstyle", "mpadded", "mphantom", "menclose", "semantics", "annotation",
}  # fmt: skip
_HTML_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "a", "span",
    "div", "h3", "h4", "h5", "table", "thead", "tbody", "tr", "th", "td", "hr", "sub", "sup",
}  # fmt: skip
_ATTRS = {
    "*": {"class"},
    "a": {"href", "title"},
    "math": {"display", "xmlns"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "largeop", "movablelimits"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mi": {"mathvariant"},
    "mspace": {"width"},
    "mtd": {"columnalign"},
    "mtable": {"columnalign", "rowspacing", "columnspacing"},
    "menclose": {"notation"},
    "mfrac": {"linethickness"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "mpadded": {"width", "lspace"},
    "annotation": {"encoding"},
}  # fmt: skip


def _math(content: str, options: dict[str, Any]) -> str:
    display = "block" if options.get("display_mode") else "inline"
    try:
        return latex_to_mathml(content, display=display)
    except Exception:  # latex2mathml raises many types; show the source rather than fail a page
        return f'<code class="math-error">{html.escape(content)}</code>'


_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).use(
    dollarmath_plugin, double_inline=True, renderer=_math
)


@lru_cache(maxsize=4096)
def markdown_to_html(text: str) -> str:
    """Render Markdown with $math$ and sanitise the result (nh3 allow-list, incl. MathML)."""
    raw = _md.render(text or "")
    return nh3.clean(
        raw,
        tags=_HTML_TAGS | _MATHML_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def markdown_inline(text: str) -> str:
    """Same as :func:`markdown_to_html` without the wrapping paragraph (for option labels)."""
    out = markdown_to_html(text)
    if out.startswith("<p>") and out.rstrip().endswith("</p>") and out.count("<p>") == 1:
        return out.strip()[3:-4]
    return out
