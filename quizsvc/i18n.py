"""Korean and English: Flask-Babel with catalogs compiled from the shipped .po files at start-up.

Compiling at start-up (into the instance folder) keeps binary .mo files out of the repository
and needs no build step; it takes a few milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel
from flask_login import current_user

LOCALES = ("ko", "en")
SOURCE_DIR = Path(__file__).resolve().parent / "translations"


def compile_catalogs(target: Path) -> Path:
    for po_path in SOURCE_DIR.glob("*/LC_MESSAGES/messages.po"):
        locale = po_path.parent.parent.name
        mo_path = target / locale / "LC_MESSAGES" / "messages.mo"
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        tmp = mo_path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo_path)  # atomic: several workers may compile at once
    return target


def select_locale() -> str:
    if getattr(current_user, "is_authenticated", False):
        return str(current_user.locale)
    chosen = request.cookies.get("lang")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or "ko"


def init_app(app: Flask) -> None:
    target = compile_catalogs(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    Babel(app, locale_selector=select_locale)
