"""Markdown + LaTeX to sanitised HTML with MathML, on the server; and what students then see."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from world import form_post, logged_in, start_web_attempt

from quizsvc.grading.assignment import LANGUAGES
from quizsvc.grading.registry import all_assignments
from quizsvc.rendering import markdown_inline, markdown_to_html

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "![img](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=https://example.com></iframe>",
    "<svg onload=alert(1)>",
    "$\\href{javascript:alert(1)}{x}$",
    "$\\text{<script>alert(1)</script>}$",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


class _Audit(HTMLParser):
    """Collects what would run in a browser: script elements, event handlers, risky URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "svg", "style", "base"):
            src = dict(attrs).get("src") or ""
            if not (tag == "script" and src.startswith("/static/")):  # the app's own script file
                self.problems.append(f"<{tag}>")
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            risky = ":" in v.split("/")[0] and not v.startswith(("http:", "https:", "mailto:"))
            if name in ("href", "src", "action", "formaction", "xlink:href") and risky:
                self.problems.append(f"{tag}[{name}={v}]")


def audit(html: str) -> list[str]:
    parser = _Audit()
    parser.feed(html)
    return parser.problems


@pytest.mark.parametrize("source", XSS)
def test_no_script_survives(source):
    out = markdown_to_html(source)
    assert audit(out) == [], out
    assert audit(markdown_inline(source)) == []


def test_inline_and_display_math_become_mathml():
    out = markdown_to_html("L2: $\\lambda \\sum_i w_i^2$\n\n$$\\|W\\|_F = \\sqrt{\\sum_{i,j} W_{ij}^2}$$")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in out
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in out
    assert "<mi>λ</mi>" in out and "<msqrt>" in out and "<msub>" in out and "<msubsup>" in out
    assert "$" not in out


def test_markdown_basics_and_korean_text():
    out = markdown_to_html("**정규화**(regularization)와 `keep_prob`\n\n- L1\n- L2\n\n[docs](https://example.com/a?b=1)")
    assert "<strong>정규화</strong>(regularization)" in out
    assert "<code>keep_prob</code>" in out and "<ul>" in out and "<li>L1</li>" in out
    assert '<a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow">docs</a>' in out


def test_bad_latex_is_shown_as_source_not_an_error():
    out = markdown_to_html("$\\frac{$")
    assert '<code class="math-error">\\frac{</code>' in out


def test_raw_html_is_escaped_not_interpreted():
    out = markdown_to_html("<b>bold</b> & <i>x</i>")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;x&lt;/i&gt;" in out


def test_inline_rendering_drops_the_paragraph():
    assert markdown_inline("$x$ **y**").startswith('<span class="math inline">')
    assert markdown_inline("plain") == "plain"
    assert markdown_inline("a\n\nb").count("<p>") == 2


def test_every_assignment_statement_renders_its_math():
    for slug, assignment in all_assignments().items():
        assert set(assignment.statement) == set(LANGUAGES)
        for lang, text in assignment.statement.items():
            out = markdown_to_html(text)
            assert "<math" in out, (slug, lang)
            assert "math-error" not in out, (slug, lang, out)
            assert "$" not in out, (slug, lang)  # no unmatched delimiter left as text


# --- in the app ----------------------------------------------------------------------------



def test_hostile_item_text_is_sanitised_everywhere(w, app):
    prof = logged_in(app, "instructor")
    quiz_id = w.quiz_id("dropout")
    config = ("options:\n"
              "  - id: a\n    text: {ko: '<img src=x onerror=alert(1)> $x^2$', en: '[a](javascript:alert(2))'}\n"
              "    correct: true\n"
              "  - id: b\n    text: {ko: '보기 b', en: 'option b'}\n")
    r = form_post(prof, f"/staff/quizzes/{quiz_id}/items/new", {
        "key": "hostile", "type_name": "single_choice", "points": "1",
        "prompt_ko": "<script>alert('ko')</script> 문제 $\\sqrt{2}$",
        "prompt_en": "[x](javascript:alert('en')) question",
        "explanation_ko": "<svg onload=alert(3)> 해설", "explanation_en": "explanation", "config": config})
    assert r.status_code == 302
    item_id = int(r.headers["Location"].split("/")[-2])
    preview = prof.get(f"/staff/items/{item_id}/preview").get_data(as_text=True)
    alice = logged_in(app, "alice")
    attempt_id = start_web_attempt(alice, quiz_id)
    page = alice.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    form_post(alice, f"/attempts/{attempt_id}", {f"item-{item_id}": "b", "action": "submit", "confirmed": "1"})
    result = alice.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    for html in (preview, page, result):
        assert audit(html) == []
        assert "<msqrt>" in html and "<msup>" in html  # the math is still rendered
    assert "&lt;script&gt;alert(&#39;ko&#39;)&lt;/script&gt;" in page or "&lt;script&gt;" in page
    assert "해설" in result


def test_bilingual_display_follows_the_users_language(w, app):
    quiz_id = w.quiz_id("overfitting-and-norms")
    alice = logged_in(app, "alice")
    page = alice.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert '<html lang="ko">' in page and "응시 시작" in page
    assert '<details class="other-lang" lang="en"><summary>English</summary>' in page  # marked as English
    r = form_post(alice, "/lang/en", {"next": f"/quizzes/{quiz_id}"})
    assert r.status_code == 302 and r.headers["Location"] == f"/quizzes/{quiz_id}"
    page = alice.get(f"/quizzes/{quiz_id}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Start attempt" in page
    assert '<details class="other-lang" lang="ko"><summary>한국어</summary>' in page  # marked as Korean
    from quizsvc.models import User

    with w.db() as s:
        assert s.get(User, w.ids["alice"]).locale == "en"
