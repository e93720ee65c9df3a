"""Real-browser tests: Debian's Chromium driven by Playwright against a live server.

Without Chromium they skip on a developer machine and fail under CI=true (CI installs it).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import IN_CI, PASSWORD
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "instance" / "screenshots"


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("chromium is not installed (CI=true: not skipping)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(base_url=live_server, locale="ko-KR")
        pg = context.new_page()
        errors: list[str] = []
        # A form re-rendered with per-field messages answers 422 on purpose; anything else is not.
        pg.on("console", lambda m: errors.append(m.text)
              if m.type == "error" and "status of 422" not in m.text else None)
        pg.on("dialog", lambda d: d.accept())
        yield pg
        context.close()
        browser.close()
    assert errors == [], f"browser console errors: {errors}"


def _login(page: Any, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/")


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_student_takes_a_quiz_in_the_browser(page: Any, demo: dict[str, Any]) -> None:
    from quizsvc.models import Quiz

    quiz = next(q for q in demo["course"].quizzes if q.feedback_policy.value == "immediate")
    _login(page, "alice@example.com")
    page.click(f"text={demo['course'].title}")
    page.goto(f"/quizzes/{quiz.id}")
    page.click("#start-attempt")
    page.wait_for_url("**/attempts/*")
    # Math is rendered to MathML on the server: no script, no CDN.
    assert isinstance(quiz, Quiz)
    items = page.locator("section.item")
    assert items.count() == len(quiz.items)
    for i in range(items.count()):
        section = items.nth(i)
        if section.locator("input[type=radio]").count():
            section.locator("input[type=radio]").first.check()
        elif section.locator("input[type=checkbox]").count():
            section.locator("input[type=checkbox]").first.check()
        elif section.locator("input[type=text]").count():
            section.locator("input[type=text]").fill("１/４")  # full-width digits are accepted
        else:
            section.locator("textarea").fill("[1, 2, 3, 4]")
    _shot(page, "student-attempt")
    page.click("#submit-attempt")
    page.wait_for_url("**/result")
    score = page.locator("#score").inner_text()
    assert "/" in score
    assert page.locator("section.feedback").count() == len(quiz.items)
    assert page.locator(".explanation").count() >= 1
    _shot(page, "student-result")


def test_malformed_answer_is_shown_and_kept(page: Any, demo: dict[str, Any]) -> None:
    quiz = next(q for q in demo["course"].quizzes if any(i.type_name == "numeric" for i in q.items))
    _login(page, "bob@example.com")
    page.goto(f"/quizzes/{quiz.id}")
    page.click("#start-attempt")
    page.wait_for_url("**/attempts/*")
    box = page.locator("section.item input[type=text]").first
    box.fill("twelve")
    page.click("#submit-attempt")
    assert page.locator(".answer-error").count() == 1
    assert page.locator("section.item input[type=text]").first.input_value() == "twelve"
    assert "/result" not in page.url


def test_instructor_creates_and_publishes_a_quiz(page: Any, demo: dict[str, Any]) -> None:
    _login(page, "prof@example.com")
    page.goto(f"/staff/courses/{demo['course'].id}")
    page.click("#new-quiz")
    page.fill("#slug", "browser-quiz")
    page.fill("#title", "브라우저 퀴즈")
    page.fill("#title_en", "Browser quiz")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/staff/quizzes/*")
    page.click("#add-numeric")
    page.fill("#key", "l1-of-vector")
    page.fill("#prompt_ko", "$x = [2, 3, 4]$의 L1 놈은?")
    page.fill("#prompt_en", "What is the L1 norm of $x = [2, 3, 4]$?")
    page.click("#save-item")
    page.wait_for_url("**/preview")
    assert page.locator("math").count() >= 1
    assert "9" in page.locator("p.key code").first.inner_text()
    _shot(page, "instructor-preview")
    page.click("text=브라우저 퀴즈")
    page.click("#toggle-publish")
    assert page.locator("#quiz-status").inner_text() == "open"


def _course_assignment(session: Any, course: Any, grader: str) -> Any:
    from quizsvc.models import Assignment
    from quizsvc.services.assignments import ensure_course_assignments

    ensure_course_assignments(session, course)
    return next(a for a in session.query(Assignment).filter_by(course_id=course.id)
                if a.grader == grader)


def test_student_submits_code_in_the_editor_and_sees_the_grade_arrive(
        page: Any, demo: dict[str, Any], session: Any, live_server: str) -> None:
    from quizsvc.grading import registry

    suite = registry.get("groupnorm")
    assignment = _course_assignment(session, demo["course"], "groupnorm")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    _login(page, "alice@example.com")
    page.click(f"text={demo['course'].title}")
    page.click(f"text={assignment.title}")
    page.wait_for_url(f"**/assignments/{assignment.id}")
    # The statement (Markdown + math), the signatures and the starter code are on the page, and
    # the code box is a CodeMirror editor with Python highlighting, from our own /static.
    assert "groupnorm_forward(x, gamma, beta, G, gn_param)" in page.inner_text("dl.facts")
    assert page.locator(".statement math").count() >= 1
    editor = page.locator(".CodeMirror")
    assert editor.count() == 1
    assert "def groupnorm_forward" in editor.inner_text()
    assert page.locator(".CodeMirror .cm-keyword").count() >= 1  # highlighted
    assert all(url.startswith(live_server) for url in requested), requested
    page.evaluate("src => document.querySelector('.CodeMirror').CodeMirror.setValue(src)",
                  suite.solutions[0].source)
    page.click("#submit-code")
    page.wait_for_url("**/submissions/*")
    # The page polls and shows the grade by itself: nobody reloads it here.
    page.wait_for_selector("#score", timeout=30_000)
    assert page.inner_text("#score") == "14 / 14"
    assert page.locator("#cases tr.pass").count() == len(suite.cases)
    assert page.locator("#cases tr.fail").count() == 0
    # In Korean, as the student reads the rest of the page.
    assert page.inner_text("#sub-status") == "채점 완료"
    assert page.inner_text("#cases tr.pass >> nth=-1 >> .case-message") == "통과"
    _shot(page, "student-code-graded")
    page.goto(f"/assignments/{assignment.id}")
    assert page.inner_text("#kept-score") == "14 / 14"


def test_uploaded_notebook_with_a_known_mistake_gets_a_korean_diagnosis(
        page: Any, demo: dict[str, Any], session: Any, tmp_path: Path) -> None:
    import json

    from quizsvc.grading import registry

    suite = registry.get("groupnorm")
    mistake = next(m for m in suite.mistakes if m.key == "instance_norm")
    assignment = _course_assignment(session, demo["course"], "groupnorm")
    notebook = tmp_path / "groupnorm.ipynb"
    notebook.write_text(json.dumps({
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# 그룹 정규화"]},
                  {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": mistake.source.splitlines(keepends=True)}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    _login(page, "bob@example.com")
    page.goto(f"/assignments/{assignment.id}")
    page.set_input_files("input[type=file][name=file]", str(notebook))
    page.click("#submit-code")
    page.wait_for_url("**/submissions/*")
    page.wait_for_selector("#score", timeout=30_000)
    score, top = page.inner_text("#score").split(" / ")
    assert top == "14" and float(score) < 14
    diagnosis = page.inner_text("section.diagnosis")
    assert mistake.title.ko in diagnosis  # the student's locale is Korean
    assert page.locator("#cases tr.fail").count() >= 1
    assert "groupnorm.ipynb" in page.inner_text("details summary >> nth=-1")
    _shot(page, "student-notebook-diagnosis")


def test_password_change_by_keyboard_on_a_phone(page: Any, demo: dict[str, Any]) -> None:
    """390 px wide, no mouse: the nav link, the three fields and the button are reachable, the
    page does not scroll sideways, and the session goes on under the new password."""
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, "alice@example.com")
    page.goto("/account/password")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.activeElement.id") == "current"  # autofocus
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("a-brand-new-passphrase")
    page.keyboard.press("Tab")
    page.keyboard.type("a-brand-new-passphrase")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-info")
    assert "다른 모든 세션은 로그아웃되었습니다" in page.inner_text(".flash-info")
    _shot(page, "password-changed-390")
    page.goto("/")
    assert "/login" not in page.url  # this session continues
    assert page.locator("a[href='/account/password']").count() == 1


def test_instructor_makes_a_reset_link_by_keyboard_on_a_phone(page: Any, demo: dict[str, Any]) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, "prof@example.com")
    page.goto(f"/staff/courses/{demo['course'].id}")
    row = page.locator("tr", has_text="alice@example.com")
    row.locator("button", has_text="비밀번호 재설정 링크").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#reset-link")
    link = page.inner_text("#reset-link")
    assert "/reset/" in link
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "reset-link-390")
    page.click("form[action='/logout'] button")  # the student opens it, signed out
    page.wait_for_url("**/login")
    page.goto(link)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type("a-brand-new-passphrase")
    page.keyboard.press("Tab")
    page.keyboard.type("a-brand-new-passphrase")
    page.keyboard.press("Enter")
    page.wait_for_url("**/login")
    assert "새 비밀번호를 설정했고" in page.inner_text(".flash-info")


def test_student_orders_steps_by_keyboard_on_a_phone(page: Any, demo: dict[str, Any]) -> None:
    """The ordering item at 390 px, keyboard only: a position <select> per step, reached with
    Tab and set by typing the number; saved and shown back; the item fits the screen."""
    quiz = next(q for q in demo["course"].quizzes if any(i.type_name == "ordering" for i in q.items))
    item = next(i for i in quiz.items if i.type_name == "ordering")
    key = [o["id"] for o in item.config["options"]]
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, "alice@example.com")
    page.goto(f"/quizzes/{quiz.id}")
    page.focus("#start-attempt")
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*")
    selects = page.locator(f"#item-{item.id} select")
    shown = [name.rsplit(f"item-{item.id}-", 1)[1] for name in
             selects.evaluate_all("els => els.map(e => e.name)")]
    assert sorted(shown) == sorted(key) and shown != key
    selects.first.focus()
    for i, step in enumerate(shown):
        page.keyboard.press(str(key.index(step) + 1))
        if i < len(shown) - 1:
            page.keyboard.press("Tab")
    # nothing of the item reaches past the screen's edge (other items' display math may: scrolled in place)
    right = page.evaluate(f"Math.max(...[...document.querySelectorAll('#item-{item.id} *')]"
                          ".map(e => e.getBoundingClientRect().right))")
    assert right <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(f"#item-{item.id}").screenshot(path=str(SHOTS / "ordering-390.png"))
    page.focus("button[value=save]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-info")
    values = selects.evaluate_all("els => els.map(e => e.value)")
    assert values == [str(key.index(step) + 1) for step in shown]


def test_instructor_spots_the_negatively_discriminating_item_on_a_phone(
        page: Any, demo: dict[str, Any], session: Any) -> None:
    """The quiz statistics at 390 px: the item whose key is wrong is flagged in words, the
    histogram (an SVG from the app) loads, nothing scrolls sideways, the basis switch works by
    keyboard, and the headings go h1, h2, h3 without a skipped level."""
    from insight_data import seed_stats_quiz

    quiz_id = seed_stats_quiz(session, demo["course"], demo["alice"].id)
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, "prof@example.com")
    page.goto(f"/staff/quizzes/{quiz_id}")
    page.focus("#quiz-insight")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/quizzes/{quiz_id}/insight")
    flagged = page.locator("tr.flagged")
    assert flagged.count() == 1
    assert "neg" in flagged.inner_text() and "정답 키를 확인하세요" in flagged.inner_text()
    page.wait_for_function("document.querySelector('figure.plot img').complete")
    assert page.evaluate("document.querySelector('figure.plot img').naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    levels = page.evaluate("[...document.querySelectorAll('main h1, main h2, main h3')].map(h => +h.tagName[1])")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False))
    _shot(page, "quiz-insight-390")
    page.focus("#basis-all")
    page.keyboard.press("Enter")
    page.wait_for_url("**/insight?attempts=all")
    assert page.get_attribute("#basis-all", "aria-current") == "page"
    assert page.locator("tr.flagged").count() == 1
