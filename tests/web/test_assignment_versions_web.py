"""Assignment packages in the browser: import a .zip on the course page (the check report, the
result), the Versions page, a regrade preview and activation. Real forms with CSRF tokens."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from world import World, form_post, logged_in

from quizsvc.grading.package import load_dir
from quizsvc.models import Assignment, AssignmentVersion
from quizsvc.services.submissions import acceptance, claims

MAX_NORM = Path(__file__).resolve().parent.parent / "packages" / "max_norm"


def _upload(client: Any, w: World, data: bytes, **extra: Any) -> Any:
    return form_post(client, f"/staff/courses/{w.course_id}/assignments/import",
                     {"package": (io.BytesIO(data), "package.zip"), **extra},
                     token_from=f"/staff/courses/{w.course_id}", content_type="multipart/form-data")


def _versions(w: World) -> int:
    with w.db() as s:
        return s.scalar(select(func.count()).select_from(AssignmentVersion).join(
            Assignment, Assignment.id == AssignmentVersion.assignment_id).where(Assignment.slug == "max-norm"))


def test_import_preview_activate_in_the_browser(w: World, app: Any, tmp_path: Path) -> None:
    client = logged_in(app, "instructor")
    page = client.get(f"/staff/courses/{w.course_id}").get_data(as_text=True)
    assert 'id="import-form"' in page and 'enctype="multipart/form-data"' in page

    r = _upload(client, w, load_dir(MAX_NORM).to_zip(), publish="1")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert 'id="package-cases"' in html and "zero_column" in html and 'id="package-checked"' in html
    assert 'id="versions-link"' in html
    with w.db() as s:
        a = s.scalar(select(Assignment).where(Assignment.slug == "max-norm"))
        assert a.published and a.version.number == 1
        sub = acceptance.submit(s, w.user(s, "alice"), a, (MAX_NORM / "solutions" / "vectorised.py").read_text())
        assert claims.process(s, sub.id)
        a_id = a.id

    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    with (folder / "assignment.toml").open("a") as fh:
        fh.write("\n[cases.random]\npoints = 1\n")
    r = _upload(client, w, load_dir(folder).to_zip())
    assert r.status_code == 200 and "versions-link" in r.get_data(as_text=True)

    versions = client.get(f"/staff/assignments/{a_id}/versions").get_data(as_text=True)
    assert 'id="version-2"' in versions and 'id="preview-2"' in versions and 'id="preview-1"' not in versions
    r = form_post(client, f"/staff/assignments/{a_id}/versions/2/preview", token_from=f"/staff/assignments/{a_id}/versions")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="impact"' in html and "-1" in html
    r = client.get(f"/staff/assignments/{a_id}/versions/2/export")
    assert r.status_code == 200 and r.data == load_dir(folder).to_zip()

    r = form_post(client, f"/staff/assignments/{a_id}/versions/2/activate", token_from=f"/staff/assignments/{a_id}/versions")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/staff/assignments/{a_id}/versions")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="progress"' in page and 'id="preview-1"' in page and 'id="preview-2"' not in page
    with w.db() as s:
        assert s.get(Assignment, a_id).version.number == 2


def test_a_failing_package_shows_its_problems_and_stores_nothing(w: World, app: Any, tmp_path: Path) -> None:
    client = logged_in(app, "instructor")
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    wrong = folder / "solutions" / "columns_loop.py"
    wrong.write_text(wrong.read_text().replace("return", "return 2 *", 1))
    r = _upload(client, w, load_dir(folder).to_zip())
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="package-problems"' in html and "solutions/columns_loop.py" in html
    r = _upload(client, w, b"not a zip")
    assert r.status_code == 422 and 'id="package-problems"' in r.get_data(as_text=True)
    assert _versions(w) == 0


def test_import_needs_the_token_and_an_editor(w: World, app: Any) -> None:
    w.assignment("batchnorm")  # the demo assignments, each with its version 1
    client = logged_in(app, "instructor")
    r = client.post(f"/staff/courses/{w.course_id}/assignments/import",
                    data={"package": (io.BytesIO(load_dir(MAX_NORM).to_zip()), "p.zip")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and _versions(w) == 0  # no CSRF token: refused, as every form
    # Too large: refused before it is read (the body is built here, as the test client would
    # otherwise spool it to a file it leaves open).
    big = (b'--b\r\nContent-Disposition: form-data; name="package"; filename="p.zip"\r\n\r\n'
           + b"0" * (6 * 2**20) + b"\r\n--b--\r\n")
    r = client.post(f"/staff/courses/{w.course_id}/assignments/import", data=big,
                    content_type="multipart/form-data; boundary=b")
    assert r.status_code == 413 and _versions(w) == 0
    ta = logged_in(app, "ta")
    assert 'id="import-form"' not in ta.get(f"/staff/courses/{w.course_id}").get_data(as_text=True)
    r = form_post(ta, f"/staff/courses/{w.course_id}/assignments/import",
                  {"package": (io.BytesIO(load_dir(MAX_NORM).to_zip()), "p.zip")},
                  token_from=f"/staff/courses/{w.course_id}", content_type="multipart/form-data")
    assert r.status_code == 403 and _versions(w) == 0
    with w.db() as s:
        a_id = s.scalar(select(Assignment.id).where(Assignment.course_id == w.course_id).limit(1))
    for who in ("alice", "outsider"):
        assert logged_in(app, who).get(f"/staff/assignments/{a_id}/versions").status_code == 403
    r = form_post(ta, f"/staff/assignments/{a_id}/versions/1/activate", token_from="/account/tokens")
    assert r.status_code == 302  # a button's refusal is flashed, and back
    page = ta.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="preview-' not in page and 'id="activate-' not in page
