"""Real-browser tests: Debian's Chromium driven by Playwright against a live server.

Without Chromium they skip on a developer machine and fail under CI=true (CI installs it).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import IN_CI, PASSWORD
from werkzeug.serving import make_server
from world import World, make_token

from quizsvc.models import Course

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "instance" / "screenshots"


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


def test_student_takes_a_quiz_in_the_browser(page: Any, w: World) -> None:
    from quizsvc.models import Quiz

    quiz = next(q for q in w.course().quizzes if q.feedback_policy.value == "immediate")
    _login(page, "alice@example.com")
    page.click(f"text={w.course().title}")
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
    assert page.locator("#submit-summary-list a").count() == 0  # every question answered
    page.click("#confirm-submit")
    page.wait_for_url("**/result")
    score = page.locator("#score").inner_text()
    assert "/" in score
    assert page.locator("section.feedback").count() == len(quiz.items)
    assert page.locator(".explanation").count() >= 1
    _shot(page, "student-result")


def test_malformed_answer_is_shown_and_kept(page: Any, w: World) -> None:
    quiz = next(q for q in w.course().quizzes if any(i.type_name == "numeric" for i in q.items))
    _login(page, "bob@example.com")
    page.goto(f"/quizzes/{quiz.id}")
    page.click("#start-attempt")
    page.wait_for_url("**/attempts/*")
    box = page.locator("section.item input[type=text]").first
    box.fill("twelve")
    page.click("#submit-attempt")
    page.click("#confirm-submit")
    page.wait_for_load_state()
    assert page.locator(".answer-error").count() == 1
    assert page.locator("section.item input[type=text]").first.input_value() == "twelve"
    assert "/result" not in page.url


def test_instructor_creates_and_publishes_a_quiz(page: Any, w: World) -> None:
    _login(page, "prof@example.com")
    page.goto(f"/staff/courses/{w.course_id}")
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


def test_student_submits_code_in_the_editor_and_sees_the_grade_arrive(
        page: Any, w: World, live_server: str) -> None:
    from quizsvc.grading import registry

    suite = registry.get("groupnorm")
    assignment = w.assignment("groupnorm")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    _login(page, "alice@example.com")
    page.click(f"text={w.course().title}")
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
        page: Any, w: World, tmp_path: Path) -> None:
    import json

    from quizsvc.grading import registry

    suite = registry.get("groupnorm")
    mistake = next(m for m in suite.mistakes if m.key == "instance_norm")
    assignment = w.assignment("groupnorm")
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


def test_password_change_by_keyboard_on_a_phone(page: Any, w: World) -> None:
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


def test_instructor_makes_a_reset_link_by_keyboard_on_a_phone(page: Any, w: World) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _login(page, "prof@example.com")
    page.goto(f"/staff/courses/{w.course_id}")
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


def test_student_orders_steps_by_keyboard_on_a_phone(page: Any, w: World) -> None:
    """The ordering item at 390 px, keyboard only: a position <select> per step, reached with
    Tab and set by typing the number; saved and shown back; the item fits the screen."""
    quiz = next(q for q in w.course().quizzes if any(i.type_name == "ordering" for i in q.items))
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


# --- every page a student and an instructor reach, on a phone, with axe -------------------------

PHONE = {"width": 390, "height": 844}
# Links that change state or leave the HTML pages; everything else a page links to is visited.
NOT_A_PAGE = re.compile(r"(logout|/lang|/static/|format=csv|/api/|/progress$|/status$|\.zip$|/export$)")
# Korean text on an English page must sit inside lang="ko" (line breaking, voice). Left out: the
# item type menu ("Numeric / 수치") and the YAML settings box, which hold both languages at once.
UNMARKED_HANGUL = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!/[\\uac00-\\ud7a3]/.test(n.textContent) || n.parentElement.closest('select, textarea.code')) continue;
    const holder = n.parentElement.closest('[lang]');
    if (!holder || !holder.lang.startsWith('ko')) out.push(n.textContent.trim().slice(0, 40));
  }
  return out;
}"""
# h1 first, then no level skipped on the way down.
HEADING_SKIPS = """() => {
  const levels = [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
    .map((h) => Number(h.tagName[1]));
  const bad = [];
  levels.forEach((l, i) => { if (l > (i ? levels[i - 1] : 0) + 1) bad.push(levels.slice(0, i + 1).join('>')); });
  return bad;
}"""


@pytest.fixture
def seeded(app: Any, w: World) -> dict[str, Any]:
    """Alice took a quiz, has one open attempt and a graded submission with a diagnosed mistake,
    so the result, attempt and feedback pages have their content."""
    from quizsvc.grading import registry
    course = w.course()
    assignment = w.assignment("groupnorm")
    secret = make_token(w, "alice", "read,answer,submit")
    api = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    taken, open_quiz = [q for q in course.quizzes if q.published][:2]
    attempt = api.post(f"/api/v1/quizzes/{taken.id}/attempts", headers=auth).get_json()
    first = attempt["items"][0]
    answer = first["options"][0]["id"] if first["options"] else "1"
    r = api.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=auth,
                 json={"answers": {str(first["id"]): answer}})
    assert r.status_code == 200, r.get_json()
    open_attempt = api.post(f"/api/v1/quizzes/{open_quiz.id}/attempts", headers=auth).get_json()
    mistake = registry.get("groupnorm").mistakes[0]
    r = api.post("/api/v1/assignments/groupnorm/submissions?wait=30", headers=auth,
                 json={"code": mistake.source})
    assert r.get_json()["status"] == "graded", r.get_json()
    return {"course": course, "assignment": assignment, "attempt": attempt["id"],
            "open_attempt": open_attempt["id"], "submission": r.get_json()["id"], "quiz": taken}


def _walk(page: Any, start: list[str], limit: int = 60) -> list[str]:
    """Follow same-origin links breadth first, one page per route shape (ids and all)."""
    from urllib.parse import urlparse

    seen: set[str] = set()
    queue, visited = list(start), []
    while queue and len(visited) < limit:
        path = queue.pop(0)
        shape = re.sub(r"\d+", "N", path)
        if shape in seen or NOT_A_PAGE.search(path):
            continue
        seen.add(shape)
        response = page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        visited.append(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map((e) => e.getAttribute('href'))"):
            url = urlparse(href)
            if not url.netloc and url.path.startswith("/"):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return visited


def _check_pages(page: Any, start: list[str], *, english: bool) -> tuple[list[str], list[str]]:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    visited = _walk(page, start)
    for path in visited:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path}: {width}px wide")
        for v in axe.run(page).response["violations"]:
            if v["impact"] in ("serious", "critical"):
                problems.append(f"{path}: axe {v['id']} {[n['target'] for n in v['nodes']][:3]}")
        problems += [f"{path}: heading skip {s}" for s in page.evaluate(HEADING_SKIPS)]
        if english:
            problems += [f"{path}: Korean without lang=ko: {t!r}" for t in page.evaluate(UNMARKED_HANGUL)]
    return problems, visited


def test_every_student_and_instructor_page_fits_a_phone_and_passes_axe(
        page: Any, seeded: dict[str, Any], w: World) -> None:
    """At 390 px: no page scrolls sideways (wide tables and formulas scroll in their own
    box), axe finds nothing serious or critical, headings go in order; the instructor reads
    English pages, where the Korean course content is marked lang="ko"."""
    from quizsvc.models import User

    course = seeded["course"]
    _login(page, "alice@example.com")
    student, s_pages = _check_pages(page, [
        "/", f"/courses/{course.id}", f"/courses/{course.id}/grades", f"/attempts/{seeded['open_attempt']}",
        f"/attempts/{seeded['attempt']}/result", f"/assignments/{seeded['assignment'].id}",
        f"/submissions/{seeded['submission']}"], english=False)
    page.click("form[action='/logout'] button")
    with w.db() as session:
        prof = session.query(User).filter_by(email="prof@example.com").one()
        prof.locale = "en"
        session.commit()
    _login(page, "prof@example.com")
    staff, i_pages = _check_pages(page, [
        "/", f"/staff/courses/{course.id}", f"/staff/courses/{course.id}/gradebook",
        f"/staff/quizzes/{seeded['quiz'].id}/results", f"/staff/attempts/{seeded['attempt']}",
        f"/submissions/{seeded['submission']}"], english=True)
    assert student + staff == [], "\n".join(student + staff)
    # The walk reached every kind of page people use (one per route shape).
    shapes = {re.sub(r"\d+", "N", p) for p in s_pages + i_pages}
    for shape in ("/courses/N/grades", "/attempts/N", "/attempts/N/result", "/assignments/N", "/submissions/N",
                  "/staff/courses/N", "/staff/courses/N/gradebook", "/staff/quizzes/N", "/staff/attempts/N",
                  "/staff/items/N/preview", "/staff/quizzes/N/preview", "/staff/assignments/N", "/staff/assignments/N/edit",
                  "/staff/assignments/N/preview", "/staff/assignments/N/versions", "/account/tokens",
                  # the authoring pages: the item editor (options as fields, reference functions),
                  # the quiz bank, the course settings (time zone)
                  "/staff/items/N/edit", "/staff/quizzes/N/items/new?type=single_choice",
                  "/staff/quizzes/N/items/new?type=numeric&preset=fixed", "/staff/courses/N/bank",
                  "/staff/courses/N/settings"):
        assert shape in shapes, shape


def _axe_here(page: Any) -> list[str]:
    """The page as it is (a POST's answer cannot be walked to): 390 px, axe, headings."""
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{page.url}: {width}px wide")
    for v in Axe().run(page).response["violations"]:
        if v["impact"] in ("serious", "critical"):
            problems.append(f"{page.url}: axe {v['id']} {[n['target'] for n in v['nodes']][:3]}")
    return problems + [f"{page.url}: heading skip {s}" for s in page.evaluate(HEADING_SKIPS)]


def test_instructor_imports_previews_and_activates_a_version_by_keyboard_on_a_phone(
        page: Any, w: World, tmp_path: Path) -> None:
    """A new version of a package: imported on the course page (the check report), previewed
    (who gains, who loses) and activated, then the regrade's progress; 390 px, keyboard only
    (but for the file chooser), axe on every page."""
    from quizsvc.grading.package import load_dir
    from quizsvc.grading.runner import default_runner
    from quizsvc.services import assignment_versions
    from quizsvc.services.submissions import acceptance, claims

    max_norm = Path(__file__).resolve().parents[1] / "packages" / "max_norm"
    with w.db() as s:
        a, _, _ = assignment_versions.import_package(s, w.user(s, "instructor"), s.get(Course, w.course_id),
                                                     load_dir(max_norm), default_runner(), publish=True)
        sub = acceptance.submit(s, w.user(s, "alice"), a, (max_norm / "solutions" / "vectorised.py").read_text())
        assert claims.process(s, sub.id)
    folder = tmp_path / "max_norm"
    shutil.copytree(max_norm, folder)
    with (folder / "assignment.toml").open("a") as fh:
        fh.write("\n[cases.random]\npoints = 1\n")
    package = tmp_path / "max_norm_v2.zip"
    package.write_bytes(load_dir(folder).to_zip())

    page.set_viewport_size(PHONE)
    _login(page, "prof@example.com")
    page.goto(f"/staff/courses/{w.course_id}")
    page.set_input_files("#package-file", str(package))
    page.focus("#import-package")
    page.keyboard.press("Enter")
    page.wait_for_selector("#package-cases")
    problems = _axe_here(page)
    page.focus("#versions-link")
    page.keyboard.press("Enter")
    page.wait_for_selector("#preview-2")
    problems += _axe_here(page)
    page.focus("#preview-2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#impact")
    problems += _axe_here(page)
    assert "-1" in page.inner_text("#impact")
    _shot(page, "version-preview-390")
    page.focus("#activate-version")
    page.keyboard.press("Enter")  # the confirmation dialog is accepted
    page.wait_for_selector("#progress")
    from playwright.sync_api import expect

    # The page polls the progress (no string evaluation here: the CSP forbids it).
    expect(page.locator('#progress [data-k="graded"]')).to_have_text("1", timeout=30_000)
    expect(page.locator('#progress [data-k="queued"]')).to_have_text("0")
    problems += _axe_here(page)
    assert problems == [], "\n".join(problems)
    assert page.locator("#preview-2").count() == 0 and page.locator("#preview-1").count() == 1


def test_the_code_editor_is_no_keyboard_trap(page: Any, w: World) -> None:
    """Tab indents inside the editor; Esc then Tab moves on to the file input; the hint next to
    the editor says so, and the editor is labelled."""
    assignment = w.assignment("groupnorm")
    _login(page, "alice@example.com")
    page.goto(f"/assignments/{assignment.id}")
    hint = page.locator("#editor-hint")
    assert hint.is_visible() and "Esc" in hint.inner_text()
    field = page.locator(".CodeMirror [contenteditable=true]")
    assert field.get_attribute("aria-label") == page.inner_text("label[for=code]").strip()
    assert field.get_attribute("aria-describedby") == "editor-hint"
    value = "document.querySelector('.CodeMirror').CodeMirror.getValue()"
    before = page.evaluate(value)
    field.focus()
    page.keyboard.press("Control+Home")
    page.keyboard.press("Tab")
    assert page.evaluate(value) == "    " + before  # indented, and the focus stayed
    assert page.evaluate("document.activeElement.closest('.CodeMirror') !== null")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "code-file", page.evaluate("document.activeElement.outerHTML.slice(0, 200)")
    assert page.evaluate(value) == "    " + before  # that Tab left, it did not indent
    page.keyboard.press("Shift+Tab")  # and back in: Tab indents again
    assert page.evaluate("document.activeElement.closest('.CodeMirror') !== null")
    page.keyboard.press("Tab")
    assert page.evaluate(value).startswith("        ")


def test_my_grades_on_a_phone(page: Any, seeded: dict[str, Any]) -> None:
    page.set_viewport_size(PHONE)
    _login(page, "alice@example.com")
    page.click(f"text={seeded['course'].title}")
    page.click("#my-grades")
    page.wait_for_url("**/grades")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    row = page.locator("#assignment-grades tr", has_text=seeded["assignment"].title)
    score, top = row.locator("td").nth(1).inner_text().split(" / ")
    assert top == "14" and float(score) < 14
    taken = page.locator("#quiz-grades tr", has_text=seeded["quiz"].title)
    assert taken.locator("td").nth(3).inner_text().startswith("1 /")
    _shot(page, "my-grades-390")
    row.locator("a", has_text="피드백").click()
    page.wait_for_url(f"**/submissions/{seeded['submission']}")
    assert page.locator("#cases tr.fail").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_instructor_spots_the_negatively_discriminating_item_on_a_phone(
        page: Any, w: World) -> None:
    """The quiz statistics at 390 px: the item whose key is wrong is flagged in words, the
    histogram (an SVG from the app) loads, nothing scrolls sideways, the basis switch works by
    keyboard, and the headings go h1, h2, h3 without a skipped level."""
    from insight_data import seed_stats_quiz

    with w.db() as session:
        course = session.get(Course, w.course_id)
        quiz_id = seed_stats_quiz(session, course, w.ids["alice"])
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


def test_instructor_sets_an_assignment_up_and_previews_it_by_keyboard_on_a_phone(page: Any, w: World) -> None:
    """At 390 px, keyboard only: the settings form (a refusal shown next to its field, then a
    save), unpublishing, and the preview as a student, graded and not recorded; axe finds
    nothing serious on the form, its refusal, or the graded preview."""
    from axe_playwright_python.sync_playwright import Axe
    from sqlalchemy import func, select

    from quizsvc.grading import registry
    from quizsvc.models import Assignment, Submission

    def serious() -> list[str]:
        return [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]

    a = w.assignment("layernorm")
    suite = registry.get("layernorm")
    page.set_viewport_size(PHONE)
    _login(page, "prof@example.com")
    page.goto(f"/staff/assignments/{a.id}")
    page.focus("#edit-assignment")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/assignments/{a.id}/edit")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 and serious() == []
    page.focus("#late_penalty_per_day")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Enter")  # the form's implicit submission
    page.wait_for_selector(".flash-error")
    assert "0에서 1 사이" in page.inner_text("#late_penalty_per_day + small.hint + small.error")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 and serious() == []
    _shot(page, "assignment-settings-refused-390")
    page.focus("#late_penalty_per_day")
    page.keyboard.press("Control+A")
    page.keyboard.type("0.05")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "max_submissions"
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "score_policy"
    page.keyboard.press("ArrowDown")  # best -> last
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "feedback"
    page.keyboard.press("ArrowDown")  # full -> scores only
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "save-settings"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/assignments/{a.id}")
    assert "과제 설정을 저장했습니다." in page.inner_text(".flash-info")
    with w.db() as s:
        stored = s.get(Assignment, a.id)
        assert (stored.late_penalty_per_day, stored.max_submissions, stored.score_policy.value,
                stored.feedback.value) == (0.05, 4, "last", "scores")
    page.focus("#toggle-publish")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-info")
    assert page.inner_text("#assignment-status") == "초안"
    page.focus("#preview-assignment")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/assignments/{a.id}/preview")
    assert page.locator("#preview-banner").is_visible()
    assert "공개하지 않은" in page.inner_text("#preview-banner")
    page.evaluate("src => document.querySelector('.CodeMirror').CodeMirror.setValue(src)", suite.solutions[0].source)
    page.focus("#submit-code")
    page.keyboard.press("Enter")
    page.wait_for_selector("#score", timeout=30_000)
    top = sum(c.points for c in suite.cases)
    assert page.inner_text("#score") == f"{top:g} / {top:g}"
    assert page.locator("#cases tr.pass").count() == len(suite.cases)
    assert page.locator("#preview-banner").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 and serious() == []
    _shot(page, "assignment-preview-390")
    with w.db() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0
def test_instructor_writes_options_with_a_live_preview_by_keyboard_on_a_phone(page: Any, w: World) -> None:
    """The item editor at 390 px, keyboard only: the question's Markdown and math preview follow
    the typing (rendered by the server, fetched as JSON); an option is added, written, moved up
    with Enter on its buttons (the focus follows it); Enter in a text field saves (never moves
    an option); nothing scrolls sideways and axe finds nothing serious."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect
    from sqlalchemy import select

    from quizsvc.models import Item

    quiz_id = w.quiz_id("overfitting-and-norms")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.set_viewport_size(PHONE)
    _login(page, "prof@example.com")
    page.goto(f"/staff/quizzes/{quiz_id}")
    page.focus("#add-single_choice")
    page.keyboard.press("Enter")
    page.wait_for_url("**/items/new?type=single_choice")
    page.focus("#key")
    page.keyboard.type("live-preview")
    page.focus("#prompt_en")
    page.keyboard.type("Which one shrinks $\\|w\\|_2$?")
    page.wait_for_selector("#preview-prompt_en math")  # live: no button pressed
    assert any(url.endswith("/staff/render-preview") for url in requested)
    page.focus("#prompt_ko")
    page.keyboard.type("**무엇이** $\\|w\\|_2$를 줄이나요?")
    page.wait_for_selector("#preview-prompt_ko strong")
    for i, (ko, en) in enumerate([("드롭아웃", "Dropout"), ("가중치 감쇠", "Weight decay")]):
        page.focus(f"#opt-{i}-ko")
        page.keyboard.type(ko)
        page.keyboard.press("Tab")  # the preview is not a stop: on to the English text
        assert page.evaluate("document.activeElement.id") == f"opt-{i}-en"
        page.keyboard.type(en)
    expect(page.locator("#preview-opt-1-en")).to_have_text("Weight decay")
    page.focus("#add-option")
    page.keyboard.press("Enter")
    page.wait_for_selector("#opt-2")
    expect(page.locator("#opt-2-ko")).to_be_focused()  # straight into the new option (autofocus)
    page.keyboard.type("학습률 $\\alpha$ 증가")
    page.keyboard.press("Tab")
    page.keyboard.type("A larger $\\alpha$")
    page.wait_for_selector("#preview-opt-2-en math")
    # weight decay is the right answer: mark it (Space on its box) and take "a" off
    page.focus("#opt-1-correct")
    page.keyboard.press("Space")
    page.focus("#opt-0-correct")
    page.keyboard.press("Space")
    page.focus("#opt-2-up")
    page.keyboard.press("Enter")
    expect(page.locator("#opt-1-id")).to_have_value("c")
    expect(page.locator("#opt-1-up")).to_be_focused()  # autofocus applies once the page has loaded
    ids = page.evaluate("[...document.querySelectorAll('.option-id')].map(e => e.value)")
    assert ids == ["a", "c", "b"]
    assert page.input_value("#prompt_en") == "Which one shrinks $\\|w\\|_2$?"  # kept through the step
    assert page.locator("#preview-opt-1-en math").count() == 1  # the previews came back rendered
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    _shot(page, "item-editor-options-390")
    page.focus("#key")
    page.keyboard.press("Enter")  # the default button saves
    page.wait_for_url("**/preview")
    assert "가중치 감쇠" in page.locator("p.key").first.inner_text()  # the key, by its text
    with w.db() as session:
        item = session.scalar(select(Item).where(Item.key == "live-preview"))
        assert [(o["id"], o["correct"]) for o in item.config["options"]] == [("a", False), ("c", False), ("b", True)]
    assert all(url.startswith(page.url.split("/staff")[0]) for url in requested)  # nothing from a CDN


def test_instructor_checks_and_applies_a_bank_upload_in_the_browser(page: Any, w: World, tmp_path: Path) -> None:
    import zipfile

    import yaml

    from quizsvc.services.demo import DEMO_BANK

    bank = tmp_path / "bank.zip"
    with zipfile.ZipFile(bank, "w") as zf:
        for path in DEMO_BANK.glob("*.yaml"):
            zf.write(path, path.name)
        zf.writestr("extra.yaml", yaml.safe_dump({"slug": "extra", "title": {"ko": "추가", "en": "Extra"}, "items": [
            {"key": "fixed", "type": "numeric", "prompt": {"ko": "값?", "en": "Value?"}, "answer": 2.5,
             "tolerance": {"atol": 0.01}}]}, allow_unicode=True))
    page.set_viewport_size(PHONE)
    _login(page, "prof@example.com")
    page.goto(f"/staff/courses/{w.course_id}")
    page.focus("#course-bank")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bank")
    page.set_input_files("#file", str(bank))
    page.focus("#check-bank")
    page.keyboard.press("Enter")
    page.wait_for_selector("#bank-report")
    assert page.locator("#bank-plan tr", has_text="extra").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    from axe_playwright_python.sync_playwright import Axe

    serious = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
    _shot(page, "bank-report-390")
    page.focus("#apply-bank")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/courses/{w.course_id}")
    assert page.locator("text=extra").count() >= 1


def _axe_problems(page: Any, where: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    problems = [f"{where}: axe {v['id']} {[n['target'] for n in v['nodes']][:3]}"
                for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
    width = page.evaluate("document.documentElement.scrollWidth")
    return problems + ([f"{where}: {width}px wide"] if width > PHONE["width"] else [])


def test_timed_attempt_clock_autosave_and_unanswered_summary_on_a_phone(page: Any, w: World) -> None:
    """A 5-minute quiz at 390 px: the clock counts down (the page's clock is Playwright's, run
    forward; the server's is real), 5 and 1 minutes left are announced politely, a change is
    saved at once without submitting, the submit step lists the unanswered questions (with
    JavaScript in the page, without it on a page of its own), and at zero the page submits."""
    from playwright.sync_api import expect

    from quizsvc.models import Attempt, AttemptStatus

    quiz = next(q for q in w.course().quizzes if q.published and q.feedback_policy.value == "immediate")
    w.update_quiz(quiz.id, time_limit_minutes=5)
    page.set_viewport_size(PHONE)
    page.clock.install()
    _login(page, "alice@example.com")
    page.goto(f"/quizzes/{quiz.id}")
    assert "5" in page.inner_text("#time-limit")
    page.click("#start-attempt")
    page.wait_for_url("**/attempts/*")
    attempt_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.clock.run_for(1000)
    assert re.fullmatch(r"0[45]:\d\d", page.inner_text("#clock-left")), page.inner_text("#clock-left")
    assert page.get_attribute("#clock-announce", "aria-live") == "polite"
    assert "5분" in page.inner_text("#clock-announce")
    problems = _axe_problems(page, "attempt")

    # A change is saved at once; saving never submits
    section = page.locator("section.item:has(input[type=radio])").first
    answered = int((section.get_attribute("id") or "").removeprefix("item-"))
    with page.expect_response("**/autosave") as saved:
        section.locator("input[type=radio]").first.check()
    assert saved.value.status == 200
    expect(page.locator("#autosave-status")).to_contain_text("저장")  # set once the reply is read
    with w.db() as s:
        a = s.get(Attempt, attempt_id)
        assert a.status == AttemptStatus.IN_PROGRESS and len(a.responses) == 1

    # Submit: the unanswered questions first, as links, and a confirmation (keyboard only)
    total = page.locator("section.item").count()
    page.focus("#submit-attempt")
    page.keyboard.press("Enter")
    expect(page.locator("#submit-summary")).to_be_visible()
    expect(page.locator("#submit-summary")).to_be_focused()
    links = page.locator("#submit-summary-list a")
    assert links.count() == total - 1
    problems += _axe_problems(page, "submit summary")
    _shot(page, "timed-attempt-summary-390")
    href = links.first.get_attribute("href")
    links.first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    page.focus("#keep-answering")
    page.keyboard.press("Enter")
    expect(page.locator("#submit-summary")).to_be_hidden()
    expect(page.locator("#submit-attempt")).to_be_focused()

    # Without JavaScript's summary the server asks on a page of its own
    page.evaluate("document.getElementById('attempt-form').requestSubmit(document.getElementById('submit-attempt'))")
    page.wait_for_selector("#unanswered")
    assert page.locator("#unanswered a").count() == total - 1
    problems += _axe_problems(page, "confirm page")
    page.click("#keep-answering")
    page.wait_for_selector("#clock")
    assert problems == [], "\n".join(problems)

    # 1 minute left is announced; at zero the page submits what is saved
    page.clock.run_for(240_000)
    expect(page.locator("#clock-announce")).to_contain_text("1분")
    with page.expect_navigation(url="**/result"):
        page.clock.run_for(65_000)
    with w.db() as s:
        a = s.get(Attempt, attempt_id)
        assert a.status == AttemptStatus.SUBMITTED
        assert [r.item_id for r in a.responses if "value" in r.answer] == [answered]


def test_instructor_fixes_a_wrong_key_regrades_extends_and_reads_the_mistakes_on_a_phone(
        page: Any, w: World, seeded: dict[str, Any]) -> None:
    """Issue 16's instructor walk at 390 px, by keyboard where a person would type: the quiz
    statistics flag the item with negative discrimination; its key is fixed in the item editor;
    the regrade preview says who gains and loses, and is applied; one student gets an
    extension; the assignment's insight shows its mistake chart. Axe on every page."""
    from insight_data import seed_stats_quiz
    from sqlalchemy import select

    from quizsvc.models import Attempt, AttemptStatus, Item, StudentException, User

    with w.db() as session:
        course = session.get(Course, w.course_id)
        quiz_id = seed_stats_quiz(session, course, w.ids["alice"])
        neg_id = session.scalar(select(Item.id).where(Item.quiz_id == quiz_id, Item.key == "neg"))
        before = {a.id: a.score for a in session.scalars(select(Attempt).where(
            Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.SUBMITTED))}
    page.set_viewport_size(PHONE)
    _login(page, "prof@example.com")
    problems: list[str] = []

    # 1. the statistics: "neg" is flagged
    page.goto(f"/staff/quizzes/{quiz_id}")
    page.focus("#quiz-insight")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/quizzes/{quiz_id}/insight")
    assert page.locator("tr.flagged").get_attribute("id") == "item-neg"
    problems += _axe_problems(page, "statistics")

    # 2. the key is wrong: b is the right option, not a
    page.goto(f"/staff/items/{neg_id}/edit")
    problems += _axe_problems(page, "item editor")
    page.focus("#opt-0-correct")
    page.keyboard.press("Space")
    page.focus("#opt-1-correct")
    page.keyboard.press("Space")
    assert not page.is_checked("#opt-0-correct") and page.is_checked("#opt-1-correct")
    page.focus("#save-item")
    page.keyboard.press("Enter")

    # 3. students answered: the regrade preview comes first, then it is applied
    page.wait_for_url(f"**/staff/items/{neg_id}/regrade")
    summary = page.inner_text("#regrade-summary")
    assert page.locator("#regrade-changes tbody tr").count() == len(before)
    assert "+" in page.inner_text("#regrade-changes") and "-" in page.inner_text("#regrade-changes")
    problems += _axe_problems(page, "regrade preview")
    _shot(page, "regrade-preview-390")
    page.focus("#apply-regrade")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/quizzes/{quiz_id}")
    assert "Regraded" in page.inner_text(".flash") or "채점" in page.inner_text(".flash")
    with w.db() as session:
        after = {a.id: a.score for a in session.scalars(select(Attempt).where(
            Attempt.quiz_id == quiz_id, Attempt.status == AttemptStatus.SUBMITTED))}
    assert after != before and summary

    # 4. one student gets a week more
    page.goto(f"/staff/courses/{w.course_id}/exceptions")
    with w.db() as session:
        s1 = session.get(User, session.scalar(select(User.id).where(User.email == "s1@example.com")))
        s1_id, s1_name = s1.id, s1.name
    page.select_option("#user_id", value=str(s1_id))
    page.select_option("#target", value=f"q-{quiz_id}")
    page.fill("#closes_at", "2031-03-02T18:00")
    page.focus("#save-exception")
    page.keyboard.press("Enter")
    page.wait_for_selector("#exceptions")
    assert s1_name in page.inner_text("#exceptions")
    problems += _axe_problems(page, "exceptions")
    with w.db() as session:
        own = session.scalar(select(StudentException).where(StudentException.user_id == s1_id))
        assert own is not None and own.quiz_id == quiz_id and own.closes_at is not None

    # 5. the assignment's mistakes: a chart (an SVG from the app) and the table behind it
    page.goto(f"/staff/assignments/{seeded['assignment'].id}")
    page.focus("#assignment-insight")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/assignments/{seeded['assignment'].id}/insight")
    page.wait_for_function("document.querySelector('figure.plot img').complete")
    assert page.evaluate("document.querySelector('figure.plot img').naturalWidth") > 0
    assert page.locator("#mistakes tbody tr").count() >= 1
    assert "muted" not in (page.locator("#mistakes tbody tr td").first.get_attribute("class") or "")
    problems += _axe_problems(page, "assignment insight")
    _shot(page, "assignment-mistakes-390")
    assert problems == [], "\n".join(problems)
