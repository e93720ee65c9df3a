"""``quizsvc serve``: migrate, load the demo course on a new database, serve with gunicorn."""

from __future__ import annotations

from typing import Any

import click

from quizsvc.cli import main


def prepare(app: Any) -> Any:
    """Migrate and load the demo course if the database is new; returns the demo logins."""
    from pathlib import Path

    from quizsvc import migrate
    from quizsvc.db import get_engine, get_session
    from quizsvc.services.demo import ensure_demo

    with app.app_context():
        migrate.upgrade(get_engine())
        return ensure_demo(get_session(), Path(app.instance_path))


def _print_logins(logins: Any, url: str) -> None:
    click.echo(f"\n  quizsvc is running at {url}\n")
    if logins is None:
        return
    click.echo("  Demo logins (passwords generated on first run, kept in the instance folder):")
    click.echo(f"    instructor: {logins.instructor[0]}  password: {logins.instructor[1]}")
    click.echo(f"    student:    {logins.student[0]}  password: {logins.student[1]}")
    click.echo(f"    course join code: {logins.join_code}\n")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-demo", is_flag=True, help="Do not load the demo course into a new database.")
def serve(host: str, port: int, threads: int, no_demo: bool) -> None:
    """Run the service (one process, threaded; scale out with gunicorn 'quizsvc.wsgi:app')."""
    from gunicorn.app.base import BaseApplication

    from quizsvc.app import create_app

    app = create_app()
    if no_demo:
        from quizsvc import migrate
        from quizsvc.db import get_engine

        with app.app_context():
            migrate.upgrade(get_engine())
        logins = None
    else:
        logins = prepare(app)
    _print_logins(logins, f"http://{host}:{port}")

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            # Grading threads live in the worker process: start them (and re-dispatch whatever
            # was queued or stuck before a restart) once the worker exists.
            self.cfg.set("post_worker_init", lambda _worker: app.extensions["quizsvc.dispatcher"].start())

        def load(self) -> Any:
            return app

    Server().run()


@main.command("demo")
def demo() -> None:
    """Load the demo course into a new database, or print its logins again."""
    from quizsvc.app import create_app

    _print_logins(prepare(create_app()), "(start it with: quizsvc serve)")


@main.command("worker")
@click.option("--concurrency", type=int, default=0, help="Grading threads (default: number of cores).")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int, loglevel: str) -> None:
    """Run a Celery grading worker (needs QUIZSVC_BROKER_URL and a shared database)."""
    import os

    from quizsvc.app import create_app
    from quizsvc.queue.worker import run_worker

    app = create_app()
    if not app.config.get("BROKER_URL"):
        raise click.UsageError("set QUIZSVC_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker")
    run_worker(app, concurrency or int(app.config.get("POOL_SIZE") or os.cpu_count() or 2), loglevel)
