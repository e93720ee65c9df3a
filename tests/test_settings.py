"""The typed settings: one reader of the environment, one meaning and one default per setting,
a clear refusal of a bad value, and the README's table generated from the class."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quizsvc.app import create_app
from quizsvc.cli import main
from quizsvc.db import get_engine
from quizsvc.settings import SettingsError, from_environment, settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_and_types() -> None:
    s = from_environment(environ={"QUIZSVC_POOL_SIZE": "3", "QUIZSVC_SWEEP_SECONDS": "2.5",
                                  "QUIZSVC_RUNNER": "COLD", "QUIZSVC_SESSION_COOKIE_SECURE": "yes",
                                  "QUIZSVC_BROKER_URL": "", "QUIZSVC_TEST_DB": "postgresql",
                                  "PATH": "/bin"})
    assert (s.pool_size, s.grading_pool_size, s.sweep_seconds, s.runner) == (3, 3, 2.5, "cold")
    assert s.session_cookie_secure is True and s.broker_url == ""
    d = from_environment(environ={})
    assert (d.sweep_seconds, d.lease_seconds, d.runner, d.sandbox_floor) == (15.0, 60, "warm", None)
    assert d.grading_pool_size >= 1 and d.sandbox_isolation == "auto"
    # a test's overrides win over the environment, as typed values or strings
    o = from_environment({"POOL_SIZE": 2, "TESTING": True}, environ={"QUIZSVC_POOL_SIZE": "5"})
    assert o.pool_size == 2


def test_secrets_stay_out_of_the_repr() -> None:
    s = from_environment(environ={"QUIZSVC_SECRET_KEY": "k3y", "QUIZSVC_DATABASE_URL": "postgresql://u:pw@h/d",
                                  "QUIZSVC_BROKER_URL": "redis://:pw@r/0"})
    assert s.secret_key == "k3y" and "k3y" not in repr(s) and "pw" not in repr(s)


@pytest.mark.parametrize(("name", "value"), [
    ("POOL_SIZE", "abc"), ("POOL_SIZE", "-1"), ("SWEEP_SECONDS", "0"), ("RUNNER", "lukewarm"),
    ("SANDBOX_MIN_LEVEL", "max"), ("LOGIN_LIMIT_PER_ACCOUNT", "lots"), ("TRUSTED_PROXIES", "one"),
    ("SESSION_COOKIE_SECURE", "perhaps"),
])
def test_a_bad_value_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"QUIZSVC_{name}={value!r}"):
        from_environment(environ={f"QUIZSVC_{name}": value})


def test_serve_refuses_a_bad_setting_with_exit_2() -> None:
    done = CliRunner().invoke(main, ["serve"], env={"QUIZSVC_POOL_SIZE": "abc"})
    assert done.exit_code == 2, done.output
    assert "invalid setting: QUIZSVC_POOL_SIZE='abc'" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert "Traceback" not in done.output


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Any:
    apps: list[Any] = []

    def make(**overrides: Any) -> Any:
        app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "s", "TESTING": True,
                          **overrides}, instance_path=str(tmp_path / f"i{len(apps)}"))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["quizsvc.dispatcher"].stop()
        get_engine(app).dispose()


def test_pool_size_is_the_servers_and_the_threads_feeding_them(make_app: Any) -> None:
    dispatcher = make_app(POOL_SIZE=3).extensions["quizsvc.dispatcher"]
    assert dispatcher.workers == 3
    assert dispatcher.runner().size == 3  # the sandbox pool those threads feed


def test_one_sweep_interval_default(make_app: Any) -> None:
    assert make_app().extensions["quizsvc.dispatcher"].sweep_seconds == 15.0
    assert make_app(SWEEP_SECONDS=0.5).extensions["quizsvc.dispatcher"].sweep_seconds == 0.5


def test_the_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, "regenerate with: python -c 'from quizsvc.settings " \
                                       "import settings_table; print(settings_table())'"


def test_nothing_else_reads_the_environment() -> None:
    reads = re.compile(r"os\.environ(\.get|\[|\.items|\.copy)|os\.getenv|environ\.get\(")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in (ROOT / "quizsvc").rglob("*.py")
                 if path.name != "settings.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if reads.search(line)]
    assert offenders == []


def test_a_relative_instance_path_is_taken_from_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``QUIZSVC_INSTANCE_PATH=instance quizsvc token create ...`` ended in Flask's ValueError
    traceback ("must be absolute")."""
    monkeypatch.chdir(tmp_path)
    settings = from_environment({}, {"QUIZSVC_INSTANCE_PATH": "inst"})
    assert settings.instance_path == str(tmp_path / "inst")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "k"},
                     settings=settings)
    assert app.instance_path == str(tmp_path / "inst")
    get_engine(app).dispose()
