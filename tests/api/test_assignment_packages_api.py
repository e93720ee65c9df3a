"""Assignment packages over API v1: import (.zip body or multipart), versions, export, regrade
preview, activation and its progress; and the refusals (4xx, never 500)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

from world import World, make_token

from quizsvc.grading.package import load_dir
from quizsvc.models import Assignment, Course
from quizsvc.services import assignment_versions as versions_svc
from quizsvc.services.submissions import acceptance, claims

MAX_NORM = Path(__file__).resolve().parent.parent / "packages" / "max_norm"
API = "/api/v1"


def _h(token: str, content_type: str = "application/zip") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def _course_slug(w: World) -> str:
    with w.db() as s:
        return s.get(Course, w.course_id).slug


def _modified(tmp_path: Path) -> Any:
    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    with (folder / "assignment.toml").open("a") as fh:
        fh.write("\n[cases.random]\npoints = 1\n")
    return load_dir(folder)


def test_import_list_export_preview_activate(client: Any, w: World, tmp_path: Path) -> None:
    token, course = make_token(w, "instructor", "read,manage"), _course_slug(w)
    package = load_dir(MAX_NORM)
    r = client.post(f"{API}/courses/{course}/assignments/import", data=package.to_zip(), headers=_h(token))
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["assignment"]["slug"] == "max-norm" and not body["assignment"]["published"]
    assert body["version"] == {**body["version"], "number": 1, "digest": package.version, "active": True}
    assert body["report"]["ok"] and body["report"]["cases"]
    again = client.post(f"{API}/courses/{course}/assignments/import", data=package.to_zip(), headers=_h(token))
    assert again.status_code == 200 and again.get_json()["version"]["number"] == 1

    with w.db() as s:  # a student's graded submission, for the preview to act on
        a = s.get(Assignment, body["assignment"]["id"])
        a.published = True
        s.commit()
        sub = acceptance.submit(s, w.user(s, "alice"), a, (MAX_NORM / "solutions" / "vectorised.py").read_text())
        assert claims.process(s, sub.id)

    changed = _modified(tmp_path)
    r = client.post(f"{API}/courses/{course}/assignments/import?publish=1", headers=_h(token, "multipart/form-data"),
                    data={"package": (io.BytesIO(changed.to_zip()), "max_norm.zip")})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["version"] == {**r.get_json()["version"], "number": 2, "active": False}

    r = client.get(f"{API}/courses/{course}/assignments/max-norm/versions", headers=_h(token))
    assert [(v["number"], v["active"]) for v in r.get_json()["versions"]] == [(2, False), (1, True)]
    r = client.get(f"{API}/courses/{course}/assignments/max-norm/versions/2/export", headers=_h(token))
    assert r.status_code == 200 and r.mimetype == "application/zip" and r.data == changed.to_zip()

    r = client.post(f"{API}/courses/{course}/assignments/max-norm/versions/2/preview", headers=_h(token))
    assert r.status_code == 200, r.get_json()
    impact = r.get_json()
    assert (impact["gained"], impact["lost"], impact["unchanged"]) == (0, 1, 0)
    assert impact["students"][0]["user_id"] == w.ids["alice"] and impact["students"][0]["change"] == -1.0

    r = client.post(f"{API}/courses/{course}/assignments/max-norm/versions/2/activate", headers=_h(token))
    assert r.status_code == 202 and r.get_json()["queued"] == 1
    progress = client.get(r.get_json()["progress_url"], headers=_h(token))
    assert progress.status_code == 200 and sum(progress.get_json()["counts"].values()) == 1
    with w.db() as s:
        assert s.get(Assignment, body["assignment"]["id"]).grader == changed.version


def test_refusals_are_4xx(client: Any, w: World, tmp_path: Path) -> None:
    manage, read = make_token(w, "instructor", "read,manage"), make_token(w, "instructor", "read")
    ta = make_token(w, "ta", "read,manage")
    course = _course_slug(w)
    url = f"{API}/courses/{course}/assignments/import"
    good = load_dir(MAX_NORM).to_zip()
    assert client.post(url, data=good, headers=_h(read)).status_code == 403  # no manage scope
    assert client.post(url, data=good, headers=_h(ta)).status_code == 403  # a TA does not edit the course
    assert client.post(url, data=good).status_code == 401
    assert client.post(f"{API}/courses/nope/assignments/import", data=good, headers=_h(manage)).status_code == 404

    r = client.post(url, data=b"print('hi')", headers=_h(manage, "text/plain"))
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "unsupported_media_type"
    r = client.post(url, data=b"not a zip at all", headers=_h(manage))
    assert r.status_code == 422 and r.get_json()["error"]["details"]["problems"]
    r = client.post(url, data=b"0" * (versions_svc.MAX_PACKAGE_BYTES + 2**20), headers=_h(manage))
    assert r.status_code == 413 and r.get_json()["error"]["code"] == "too_large"
    r = client.post(url, headers=_h(manage, "multipart/form-data"), data={"other": "x"})
    assert r.status_code == 422
    r = client.post(url + "?activate=maybe", data=good, headers=_h(manage))
    assert r.status_code == 422

    folder = tmp_path / "max_norm"
    shutil.copytree(MAX_NORM, folder)
    wrong = folder / "solutions" / "columns_loop.py"
    wrong.write_text(wrong.read_text().replace("return", "return 2 *", 1))
    r = client.post(url, data=load_dir(folder).to_zip(), headers=_h(manage))
    assert r.status_code == 422
    assert any(p["file"] == "solutions/columns_loop.py" for p in r.get_json()["error"]["details"]["problems"])
    r = client.get(f"{API}/courses/{course}/assignments/max-norm/versions", headers=_h(manage))
    assert r.status_code == 404  # nothing was stored

    assert client.post(url, data=good, headers=_h(manage)).status_code == 201
    base = f"{API}/courses/{course}/assignments/max-norm"
    assert client.get(base + "/versions/9/export", headers=_h(manage)).status_code == 404
    assert client.post(base + "/versions/1/preview", headers=_h(ta)).status_code == 403
    assert client.get(base + "/versions", headers=_h(make_token(w, "alice", "read,manage"))).status_code == 403
