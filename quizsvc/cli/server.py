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


def default_workers() -> int:
    import os

    # One Python process uses at most one core (the GIL): a second lets accepting, judging and
    # writing results use another. Each worker also starts its own sandbox pool (a server per
    # core), so beyond two, run gunicorn 'quizsvc.wsgi:app' with a pool size chosen for it.
    return max(1, min(2, os.cpu_count() or 1))


READY = "ready: taking requests"  # logged once per worker (benchmarks and tests wait for it)


def _worker_started(app: Any, worker: Any) -> None:
    import os

    from quizsvc.db import dispose_engines

    # Connections opened before the fork belong to the parent: never share them.
    dispose_engines(app, close=False)
    # Grading threads live in the worker process: start them (and re-dispatch whatever was
    # queued or stuck before a restart) once the worker exists, with its sandbox pool warm.
    # Gunicorn lets a worker accept requests only after this returns.
    dispatcher = app.extensions["quizsvc.dispatcher"]
    dispatcher.warm_up()
    _freeze_heap()
    dispatcher.start()
    # Gunicorn's "Booting worker" comes at the fork; this says when the worker is warm.
    worker.log.info("Worker %s %s", os.getpid(), READY)


def _freeze_heap() -> None:
    """Objects alive now live as long as the process: keep the collector from walking them
    again and again (and, before a fork, from copying their pages into every worker)."""
    import gc

    gc.collect()
    gc.freeze()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=int, default=None,
              help="Worker processes, each with its own grading threads  [default: 2 on a "
                   "machine with 2 or more cores, else 1]")
@click.option("--threads", default=8, show_default=True, type=int, help="Request threads per worker.")
@click.option("--no-demo", is_flag=True, help="Do not load the demo course into a new database.")
@click.option("--access-log", metavar="FILE", default=None,
              help="Log every request to FILE ('-': standard output). Off by default, as in "
                   "gunicorn: a proxy in front usually logs requests already.")
def serve(host: str, port: int, workers: int | None, threads: int, no_demo: bool,
          access_log: str | None) -> None:
    """Run the service (gunicorn, threaded workers; for more, gunicorn 'quizsvc.wsgi:app').

    Each worker dispatches what it accepted to its own grading threads; claims are conditional
    UPDATEs, so workers never grade a submission twice, and each one's sweep picks up work
    left queued or stuck (by a worker that died, or before a restart).
    """
    from gunicorn.app.base import BaseApplication

    from quizsvc.cli.context import make_app
    from quizsvc.db import dispose_engines
    from quizsvc.server_banner import drop_server_header

    if workers is not None and workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    if access_log not in (None, "-"):
        try:  # refuse before starting anything, not after "running at" is printed
            open(access_log, "a").close()  # noqa: SIM115 - only probing that it can be written
        except OSError as exc:
            raise click.BadParameter(f"cannot write {access_log}: {exc.strerror}",
                                     param_hint="--access-log") from None
    nworkers = workers or default_workers()
    app = make_app()
    if no_demo:
        from quizsvc import migrate
        from quizsvc.db import get_engine

        with app.app_context():
            migrate.upgrade(get_engine())
        logins = None
    else:
        logins = prepare(app)
    from quizsvc.grading import registry

    registry.warm_up()  # once, here: the workers fork from this process and share it
    from quizsvc.sandbox.pool import close_shared

    close_shared()  # the sandboxes that built the assignments: each worker starts its own
    dispose_engines(app)  # the workers fork from here: no pooled connection may cross
    _freeze_heap()
    _print_logins(logins, f"http://{host}:{port}")

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", nworkers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", access_log)
            self.cfg.set("post_worker_init", lambda worker: _worker_started(app, worker))

        def load(self) -> Any:
            return app

    drop_server_header()
    Server().run()


@main.command("demo")
def demo() -> None:
    """Load the demo course into a new database, or print its logins again."""
    from quizsvc.cli.context import make_app

    _print_logins(prepare(make_app()), "(start it with: quizsvc serve)")


@main.command("worker")
@click.option("--concurrency", type=int, default=0,
              help="Grading threads  [default: QUIZSVC_POOL_SIZE, one per core]")
@click.option("--loglevel", default="INFO", show_default=True)
def worker(concurrency: int, loglevel: str) -> None:
    """Run a Celery grading worker (needs QUIZSVC_BROKER_URL and a shared database)."""
    from quizsvc import settings as app_settings
    from quizsvc.cli.context import make_app
    from quizsvc.queue.worker import run_worker

    app = make_app()
    settings = app_settings.of(app)
    if not settings.broker_url:
        raise click.UsageError("set QUIZSVC_BROKER_URL (e.g. redis://127.0.0.1:6379/0) to run a worker")
    run_worker(app, concurrency or settings.grading_pool_size, loglevel)
