"""The Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from quizsvc import __version__, db, i18n
from quizsvc.config import build_config
from quizsvc.services.passwords import use_fast_hashing
from quizsvc.settings import Settings, from_environment

csrf = CSRFProtect()
log = logging.getLogger("quizsvc")


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None,
               settings: Settings | None = None) -> Flask:
    """The app, with its settings built from ``QUIZSVC_*`` variables and ``overrides`` (keys
    named as the variables without the prefix; other keys go to Flask's config), unless given.
    Raises ``quizsvc.settings.SettingsError`` for a bad value."""
    settings = settings or from_environment(overrides)
    # The instance folder (database, secret key, demo logins) defaults to ./instance in a
    # checkout; QUIZSVC_INSTANCE_PATH moves it, e.g. to /var/lib/quizsvc.
    app = Flask(
        "quizsvc",
        instance_path=instance_path or settings.instance_path or None,
        instance_relative_config=True,
        static_folder="web/static",
        template_folder="web/templates",
    )
    app.extensions["quizsvc.settings"] = settings
    app.config.update(build_config(Path(app.instance_path), settings, overrides))
    app.config["VERSION"] = __version__
    use_fast_hashing(settings.password_hash_fast)
    from quizsvc.grading.package import cache as package_cache

    # Each assignment version is built in the sandbox once per machine, then read from here.
    package_cache.use_folder(Path(app.instance_path) / "assignment-builds")
    db.init_app(app)
    from quizsvc.services.assignment_versions import install_loader

    install_loader(db.get_engine(app))  # versions in this database are gradable here (web, pool, workers)
    from quizsvc import queue

    queue.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)

    # Behind n trusted proxies the client's address and scheme are the ones they forwarded;
    # with none (the default) X-Forwarded-* is ignored, so nobody can claim another address.
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]

    from quizsvc.web import init_web

    init_web(app)

    from quizsvc.api import bp as api_bp

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never with cookies
    # Its form checks the token itself, after raising the body limit for a package upload.
    csrf.exempt("quizsvc.web.staff.versions.import_assignment")
    app.register_blueprint(api_bp)

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        # Every asset is served from here: no CDN, no inline script.
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        if request.endpoint != "static":  # pages, API answers and exports are someone's own data
            resp.headers["Cache-Control"] = "no-store"
        if settings.session_cookie_secure:  # served over HTTPS: browsers should stay on it
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return resp

    return app
