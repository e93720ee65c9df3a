"""Every UI string has a Korean translation (the catalog is compiled at start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_is_translated_to_korean(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-o", str(pot), "."], cwd=ROOT, check=True)
    with pot.open("rb") as fh:
        template = read_po(fh)
    with (ROOT / "quizsvc/translations/ko/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="ko")
    missing = [m.id for m in template if m.id and (m.id not in catalog or not catalog[m.id].string)]
    assert missing == [], "run `make i18n` and translate: " + ", ".join(map(str, missing))


def test_korean_is_the_default_and_english_is_one_click_away(client) -> None:
    ko = client.get("/login").get_data(as_text=True)
    assert "로그인" in ko
    en = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Log in" in en and "로그인" not in en.split("<main")[1]
