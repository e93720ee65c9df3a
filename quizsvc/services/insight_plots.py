"""Insight plots rendered to SVG with matplotlib (Agg backend, no display, no CDN).

The SVGs carry numbers only, no words: the default font has no Korean glyphs, and the page
around each plot names its axes in the reader's language (with the data as a table and CSV).
A plot is a function of its numbers alone, so rendered SVGs are cached by those numbers: a
changed score, a regrade or a new attempt changes the numbers and so the key, never a stale plot.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

import matplotlib

matplotlib.use("Agg")
from matplotlib.axes import Axes  # noqa: E402 - after choosing the backend
from matplotlib.figure import Figure  # noqa: E402

_CACHE: OrderedDict[tuple[object, ...], str] = OrderedDict()
_CACHE_SIZE = 256
_lock = Lock()
_BAR = "#3b5bab"
_HIGHLIGHT = "#b3261e"


def _cached(key: tuple[object, ...], render: Callable[[], str]) -> str:
    with _lock:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    svg = render()
    with _lock:
        _CACHE[key] = svg
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return svg


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})  # no date: same numbers, same bytes
    return out.getvalue()


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(6.4, 2.8), layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def histogram_svg(edges: tuple[float, ...], counts: tuple[int, ...]) -> str:
    """Bars over percent bins (``edges`` has one more entry than ``counts``)."""

    def render() -> str:
        fig, ax = _figure()
        ax.bar(edges[:-1], counts, width=[b - a for a, b in zip(edges, edges[1:], strict=False)],
               align="edge", color=_BAR, edgecolor="white")
        ax.set_xlim(edges[0], edges[-1])
        ax.xaxis.set_major_formatter("{x:g}%")
        return _svg(fig)

    return _cached(("histogram", edges, counts), render)


def bars_svg(labels: tuple[str, ...], counts: tuple[int, ...], marked: int | None = None) -> str:
    """Vertical bars with short numeric or ASCII labels; ``marked`` bar in another colour (also
    named in the caption: colour is never the only cue)."""

    def render() -> str:
        fig, ax = _figure()
        colours = [_HIGHLIGHT if i == marked else _BAR for i in range(len(counts))]
        ax.bar(range(len(counts)), counts, color=colours)
        step = max(1, len(labels) // 15)
        ax.set_xticks(range(0, len(labels), step), labels[::step])
        return _svg(fig)

    return _cached(("bars", labels, counts, marked), render)
