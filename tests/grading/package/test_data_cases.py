"""Cases declared as data (cases.toml): what each argument kind becomes, stateful calls, and a
package whose cases are data only."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from quizsvc.authoring.gradekit import Text, data_cases, rng_for
from quizsvc.grading.package import PackageError, load_dir
from quizsvc.grading.package.build import build
from quizsvc.grading.runner import default_runner

STATEFUL = '''
seed = 7
[[case]]
name = "running"
points = 2
hidden = true
summary = { en = "two steps", ko = "두 단계" }
tolerance = { rtol = 1e-4, atol = 1e-5 }
[[case.call]]
name = "first"
fn = "layer_forward"
args = [{ normal = { shape = [4, 3], mean = 2.0, std = 3.0 } },
        { uniform = { shape = [3], low = 0.5, high = 2.0 }, dtype = "float32" },
        { dict = { mode = { value = "train" }, momentum = { value = 0.9 } }, bind = "p" }]
select = [0]
state = ["p"]
outputs = [{ label = "out", path = [0] },
           { label = { en = "running mean", ko = "이동 평균" }, state = ["p", "running_mean"] }]
[[case.call]]
name = "second"
fn = "layer_forward"
args = [{ integers = { shape = [2, 3], high = 5 } }, { list = [{ value = 1 }, { rng = 3 }] },
        { object = "p", set = { mode = { value = "test" } } }]
outputs = [{ label = "out", path = [0], kind = "array", tolerance = { rtol = 0.0, atol = 0.0 } }]
[[case.call]]
name = "back"
fn = "layer_backward"
args = [{ array = [[1.0, 2.0, 3.0]] }, { result = "first", index = 1 }]
'''


def test_each_argument_kind_and_stateful_calls() -> None:
    (spec,) = data_cases(tomllib.loads(STATEFUL))
    assert (spec.name, spec.points, spec.visible) == ("running", 2.0, False)
    assert spec.summary == Text(en="two steps", ko="두 단계")
    first, second, back = spec.calls
    assert first["id"] == "running/first" and first["select"] == [0]
    assert first["state"] == ["running/p"]
    x = spec.arrays[first["args"][0]["array"]]
    assert np.array_equal(x, rng_for(7, "running/first/0").normal(2.0, 3.0, size=(4, 3)))
    assert spec.arrays[first["args"][1]["array"]].dtype == np.float32
    assert first["args"][2] == {"dict": {"mode": {"value": "train"}, "momentum": {"value": 0.9}},
                                "bind": "running/p"}
    ints = spec.arrays[second["args"][0]["array"]]
    assert ints.dtype.kind == "i" and ints.max() < 5
    assert second["args"][1] == {"list": [{"value": 1}, {"rng": 3}]}
    assert second["args"][2] == {"object": "running/p", "set": {"mode": {"value": "test"}}}
    assert back["args"][1] == {"result": "running/first", "index": 1}
    labels = [(o.label, o.call, o.path) for o in spec.checks]
    assert labels == [("out", "running/first", (0,)),
                      (Text(en="running mean", ko="이동 평균"), "running/first",
                       ("state", "running/p", "running_mean")),
                      ("out", "running/second", (0,))]
    assert spec.checks[2].tol is not None and spec.checks[2].tol.rtol == 0.0
    assert (spec.tolerance.rtol, spec.tolerance.atol) == (1e-4, 1e-5)


@pytest.mark.parametrize(("change", "said"), [
    (('{ value = 0.9 }', '{ gaussian = 1 }'), "unknown argument kind 'gaussian'"),
    (('dtype = "float32"', 'dtype = "float16"'), "dtype must be one of"),
    (('summary = { en = "two steps", ko = "두 단계" }', 'summary = "two steps"'),
     "summary must be { en = ..., ko = ... }"),
    (('{ result = "first", index = 1 }', '{ result = "later", index = 1 }'),
     "no earlier call named 'later'"),
])
def test_a_wrong_declaration_names_the_case(change: tuple[str, str], said: str) -> None:
    with pytest.raises(ValueError) as caught:
        data_cases(tomllib.loads(STATEFUL.replace(*change)))
    assert "cases.toml, case running:" in str(caught.value) and said in str(caught.value)


def test_a_package_with_data_cases_only(package_dir: Path) -> None:
    (package_dir / "cases.py").unlink()
    built = build(load_dir(package_dir), default_runner())
    assert [c.name for c in built.cases] == ["worked_example", "random", "all_inside",
                                             "zero_column", "float32"]
    assert all(o.ok for o in built.expected.outcomes.values())


def test_a_broken_data_case_is_refused_with_its_file(package_dir: Path) -> None:
    (package_dir / "cases.py").unlink()
    text = (package_dir / "cases.toml").read_text()
    (package_dir / "cases.toml").write_text(text.replace('fn = "max_norm"', 'fn = "max_norm"\nargs2 = 1', 1)
                                            .replace("{ value = 2.0 }]", "{ value = 2.0 }, { bogus = 1 }]", 1))
    with pytest.raises(PackageError) as caught:
        build(load_dir(package_dir), default_runner())
    (problem,) = caught.value.problems
    assert problem.file == "cases.toml"
    assert "cases.toml, case worked_example" in problem.text.en
