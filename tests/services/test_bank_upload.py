"""Quiz banks in the browser (issue 16, Authoring): the .zip export, an uploaded .zip or .yaml
checked and reported by file and item before it is applied, limits and bad input answered with
4xx, never a 500."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from world import form_post, logged_in

from quizsvc.errors import Invalid
from quizsvc.models import Course, Quiz
from quizsvc.services import bank as bank_svc
from quizsvc.services.demo import DEMO_BANK


def zip_of(files: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def demo_files(folder: str = "") -> dict[str, str]:
    return {f"{folder}{p.name}": p.read_text(encoding="utf-8") for p in sorted(DEMO_BANK.glob("*.yaml"))}


def upload(client, course_id: int, name: str, data: bytes):
    path = f"/staff/courses/{course_id}/bank"
    return form_post(client, path, {"file": (io.BytesIO(data), name)}, token_from=path,
                     content_type="multipart/form-data")


def test_the_export_zip_holds_the_bank_and_imports_back_unchanged(w, app, tmp_path):
    prof = logged_in(app, "instructor")
    r = prof.get(f"/staff/courses/{w.course_id}/bank.zip")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert "attachment" in r.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(r.data))
    assert sorted(archive.namelist()) == sorted(p.name for p in DEMO_BANK.glob("*.yaml"))
    course_yaml = yaml.safe_load(archive.read("course.yaml"))
    assert course_yaml["timezone"] == "Asia/Seoul"
    # the TA may download; a student may not
    assert logged_in(app, "ta").get(f"/staff/courses/{w.course_id}/bank.zip").status_code == 200
    assert logged_in(app, "alice").get(f"/staff/courses/{w.course_id}/bank.zip").status_code == 403
    # uploading the download is a clean no-op update
    r = upload(prof, w.course_id, "bank.zip", r.data)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="bank-ok"' in page and 'id="apply-bank"' in page
    assert page.count("<tr>") - 1 == len(list(DEMO_BANK.glob("*.yaml"))) - 1  # one row per quiz


def test_an_edited_bank_is_reported_then_applied(w, app):
    prof = logged_in(app, "instructor")
    files = demo_files("my-bank/")  # zipped with its folder, as people do
    dropout = yaml.safe_load(files["my-bank/dropout.yaml"])
    dropout["items"][0]["prompt"]["en"] = "Edited in the browser"
    files["my-bank/dropout.yaml"] = yaml.safe_dump(dropout, allow_unicode=True)
    files["my-bank/extra.yaml"] = yaml.safe_dump({"slug": "extra", "title": {"ko": "추가", "en": "Extra"}, "items": [
        {"key": "fixed", "type": "numeric", "prompt": {"ko": "값?", "en": "Value?"}, "answer": 2.5,
         "tolerance": {"atol": 0.01}}]}, allow_unicode=True)
    files["__MACOSX/._dropout.yaml"] = b"\x00\x05junk"
    r = upload(prof, w.course_id, "my-bank.zip", zip_of(files))
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    with w.db() as s:  # nothing applied yet
        assert s.scalar(select(Quiz).where(Quiz.slug == "extra")) is None
    assert "new quiz" in page or "새 퀴즈" in page
    r = form_post(prof, f"/staff/courses/{w.course_id}/bank/apply", {"token": token},
                  token_from=f"/staff/courses/{w.course_id}/bank")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/courses/{w.course_id}")
    with w.db() as s:
        extra = s.scalar(select(Quiz).where(Quiz.slug == "extra", Quiz.course_id == w.course_id))
        assert [i.config for i in extra.items] == [{"answer": 2.5, "tolerance": {"atol": 0.01}}]
        quiz = s.scalar(select(Quiz).where(Quiz.slug == "dropout"))
        assert quiz.items[0].prompt["en"] == "Edited in the browser"
    # a token is used once
    r = form_post(prof, f"/staff/courses/{w.course_id}/bank/apply", {"token": token},
                  token_from=f"/staff/courses/{w.course_id}/bank")
    assert r.status_code == 302 and r.headers["Location"].endswith("/bank")


def test_problems_are_listed_by_file_and_item_and_nothing_is_applied(w, app):
    prof = logged_in(app, "instructor")
    files = demo_files()
    dropout = yaml.safe_load(files["dropout.yaml"])
    broken_key = dropout["items"][0]["key"]
    del dropout["items"][0]["prompt"]["en"]
    files["dropout.yaml"] = yaml.safe_dump(dropout, allow_unicode=True)
    files["bad.yaml"] = "slug: [unclosed\n"
    r = upload(prof, w.course_id, "bank.zip", zip_of(files))
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="apply-bank"' not in page
    rows = page.split('id="bank-problems"')[1]
    assert "<code>dropout.yaml</code></td><td><code>" + broken_key in rows and "prompt: missing en text" in rows
    assert "<code>bad.yaml</code>" in rows and "invalid YAML" in rows


def test_a_single_quiz_file_goes_into_this_course(w, app):
    prof = logged_in(app, "instructor")
    data = yaml.safe_dump({"slug": "one-file", "title": {"ko": "한 파일", "en": "One file"}, "items": [
        {"key": "v", "type": "vector", "prompt": {"ko": "벡터?", "en": "Vector?"}, "answer": [1, 2],
         "tolerance": {"atol": 0.1}}]}, allow_unicode=True).encode()
    r = upload(prof, w.course_id, "one file.yaml", data)
    page = r.get_data(as_text=True)
    assert r.status_code == 200, page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    form_post(prof, f"/staff/courses/{w.course_id}/bank/apply", {"token": token},
              token_from=f"/staff/courses/{w.course_id}/bank")
    with w.db() as s:
        course = s.get(Course, w.course_id)
        assert course.slug == "reg-norm-101" and course.title.startswith("딥러닝")  # unchanged
        assert "one-file" in [q.slug for q in course.quizzes]


def test_dropping_an_answered_item_is_reported_before_applying(w, app):
    from quizsvc.services import attempts

    with w.db() as s:
        course = s.get(Course, w.course_id)
        quiz = next(q for q in course.quizzes if q.published)
        last = quiz.items[-1]
        alice = w.user(s, "alice")
        attempt = attempts.start_attempt(s, alice, quiz)
        view = next(v for v in attempts.attempt_items(s, alice, attempt) if v.id == last.id)
        answer = "[1, 2, 3]" if last.type_name == "vector" else view.options[0]["id"] if view.options else "1"
        attempts.save_answers(s, alice, attempt, {last.id: answer})
        slug, key = quiz.slug, last.key
    files = demo_files()
    data = yaml.safe_load(files[f"{slug}.yaml"])
    data["items"] = [i for i in data["items"] if i["key"] != key]
    files[f"{slug}.yaml"] = yaml.safe_dump(data, allow_unicode=True)
    r = upload(logged_in(app, "instructor"), w.course_id, "bank.zip", zip_of(files))
    assert r.status_code == 422
    rows = r.get_data(as_text=True).split('id="bank-problems"')[1]
    assert f"<code>{key}</code>" in rows and "students answered this item" in rows


@pytest.mark.parametrize(("name", "data", "message"), [
    ("bank.tar", b"x", "Upload a .zip of YAML files or a single .yaml file."),
    ("bank.zip", b"PK\x03\x04 not really", "The .zip file cannot be read."),
    ("bank.zip", zip_of({"notes.txt": "hello"}), "The .zip holds no YAML files."),
    ("bank.zip", zip_of({"a/course.yaml": "x: 1", "b/q.yaml": "x: 1"}), "Put every YAML file in one folder"),
    ("bank.zip", zip_of({"../../evil.yaml": "x: 1"}), "The .zip holds no YAML files."),  # '..' is skipped
    ("bank.zip", zip_of({"/tmp/evil.yaml": "x: 1"}), None),  # flattened to its name: harmless
    ("bank.zip", zip_of({"q;rm.yaml": "x: 1"}), "name YAML files with letters"),
    ("bank.zip", zip_of({f"q{i}.yaml": "x: 1" for i in range(201)}), "at most 200 files"),
    ("bank.zip", zip_of({"big.yaml": "#" * (600 * 1024)}), "at most 512 KiB"),
    ("bank.zip", zip_of({f"q{i}.yaml": "#" * (500 * 1024) for i in range(9)}), "at most 4 MiB"),
    ("big.yaml", b"#" * (600 * 1024), "at most 512 KiB"),
])
def test_bad_uploads_are_refused_with_a_reason(w, app, tmp_path: Path, name, data, message):
    with w.db() as s:
        course = s.get(Course, w.course_id)
        prof = w.user(s, "instructor")
        if message is None:
            report = bank_svc.check_upload(s, prof, course, name, data, tmp_path)
            assert not report.ok  # "x: 1" is no quiz
            [written] = [p for p in tmp_path.rglob("evil.yaml")]
            assert written.parent.parent == tmp_path / "bank-uploads"  # inside the upload's own folder
            assert not (tmp_path.parent / "evil.yaml").exists()
            return
        with pytest.raises(Invalid) as exc:
            bank_svc.check_upload(s, prof, course, name, data, tmp_path)
        assert message in exc.value.message.en
        assert list((tmp_path / "bank-uploads").iterdir()) == []  # nothing left behind


def test_the_web_upload_answers_4xx_to_bad_input(w, app):
    prof = logged_in(app, "instructor")
    path = f"/staff/courses/{w.course_id}/bank"
    assert prof.get(path).status_code == 200
    r = upload(prof, w.course_id, "bank.zip", b"garbage")
    assert r.status_code == 422 and "zip" in r.get_data(as_text=True)
    r = form_post(prof, path, {}, token_from=path)  # no file
    assert r.status_code == 400
    # raw bytes: a dict with a file this large makes the test client spool it to a temporary file
    big = prof.post(path, data=b"x" * (2 << 20), content_type="multipart/form-data; boundary=b")
    assert big.status_code == 413
    r = form_post(prof, f"/staff/courses/{w.course_id}/bank/apply", {"token": "../../../etc"}, token_from=path)
    assert r.status_code == 302
    # the TA sees the export but may not import
    ta = logged_in(app, "ta")
    page = ta.get(path).get_data(as_text=True)
    assert 'id="export-bank"' in page and 'id="check-bank"' not in page
    assert upload(ta, w.course_id, "bank.zip", zip_of(demo_files())).status_code == 403
    assert logged_in(app, "alice").get(path).status_code == 403


def test_another_editors_upload_cannot_be_applied(w, app, tmp_path):
    with w.db() as s:
        course = s.get(Course, w.course_id)
        prof, admin = w.user(s, "instructor"), w.user(s, "admin")
        report = bank_svc.check_upload(s, prof, course, "bank.zip", zip_of(demo_files()), tmp_path)
        assert report.ok
        with pytest.raises(Invalid):
            bank_svc.apply_upload(s, admin, course, report.token, tmp_path)
        bank_svc.apply_upload(s, prof, course, report.token, tmp_path)


def test_course_yaml_may_set_the_time_zone_and_a_wrong_one_is_reported(w, app, tmp_path):
    with w.db() as s:
        course, prof = s.get(Course, w.course_id), w.user(s, "instructor")
        files = demo_files()
        files["course.yaml"] = files["course.yaml"].replace("Asia/Seoul", "Mars/Base")
        report = bank_svc.check_upload(s, prof, course, "bank.zip", zip_of(files), tmp_path)
        assert [str(p) for p in report.problems] == [
            "course.yaml:timezone: not an IANA time zone name, such as Asia/Seoul"]
        files["course.yaml"] = files["course.yaml"].replace("Mars/Base", "Europe/Berlin")
        report = bank_svc.check_upload(s, prof, course, "bank.zip", zip_of(files), tmp_path)
        assert report.ok
        assert bank_svc.apply_upload(s, prof, course, report.token, tmp_path).timezone == "Europe/Berlin"
