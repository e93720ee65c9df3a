"""Submissions as students really write them: whole files with course helper imports, plots and
training code at top level; functions with other parameters or misspelt names."""

from __future__ import annotations

import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.pruning import plain, prune
from quizsvc.grading.result import GradeResult
from quizsvc.grading.selfcheck import reference_source

# A CS231n-style homework file: course helper imports, a plotting library, a constant and a
# helper used by the graded functions, test code and a training loop at top level.
STUDENT_BATCHNORM = '''\
import numpy as np
import matplotlib.pyplot as plt
from cs231n.layers import *
from cs231n.gradient_check import eval_numerical_gradient_array, rel_error

DEFAULT_EPS = 1e-5


def _normalise(x, mu, var, eps):
    return (x - mu) / np.sqrt(var + eps)


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", DEFAULT_EPS)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = _normalise(x, mu, var, eps)
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        out = gamma * _normalise(x, running_mean, running_var, eps) + beta
        cache = None
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    x_hat, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    dx /= N * np.sqrt(var + eps)
    return dx, dgamma, dbeta


np.random.seed(231)
N, D1, D2, D3 = 200, 50, 60, 3
X = np.random.randn(N, D1)
W1 = np.random.randn(D1, D2)
a = np.maximum(0, X.dot(W1))
print("Before batch normalization:", a.mean(axis=0))
losses = []
for epoch in range(50):
    out, _ = affine_forward(a, W1, np.zeros(D2))
    losses.append(out.sum())
plt.plot(losses)
plt.show()

if __name__ == "__main__":
    print(rel_error(batchnorm_forward(a, 1, 0, {"mode": "train"})[0], a))
'''


def line_of(text: str, source: str = STUDENT_BATCHNORM) -> int:
    return source.splitlines().index(text) + 1


def grade(source: str, slug: str = "batchnorm", language: str = "en") -> GradeResult:
    return grade_source(slug, source, language=language)


def test_a_whole_homework_file_gets_full_marks_and_says_what_was_skipped() -> None:
    result = grade(STUDENT_BATCHNORM)
    assert result.all_passed and result.score == result.max_score, result.to_table()
    imports, code = result.notes[:2]
    assert imports == (
        "Skipped imports of modules that are not available for grading (a submission may "
        "import numpy and Python's standard library): import matplotlib.pyplot (line 2); "
        "from cs231n.layers import * (line 3); from cs231n.gradient_check import "
        "eval_numerical_gradient_array, rel_error (line 4)")
    seed, loop = line_of("np.random.seed(231)"), line_of("for epoch in range(50):")
    assert code == ("Skipped top-level code that the graded functions do not use: "
                    f"line {seed} (call np.random.seed(...)), line {seed + 1} (assignment to N, "
                    f"D1, D2, D3), line {seed + 2} (assignment to X), line {seed + 3} (assignment "
                    f"to W1), line {seed + 4} (assignment to a), line {seed + 5} (call "
                    f"print(...)), line {seed + 6} (assignment to losses), lines {loop}–{loop + 2} "
                    "(for loop), and 3 more")
    korean = grade(STUDENT_BATCHNORM, language="ko")
    assert korean.all_passed
    assert korean.notes[0].startswith("채점 환경에 없는 모듈의 import를 건너뛰었습니다")
    assert "matplotlib.pyplot (2행)" in korean.notes[0]
    assert f"{loop}–{loop + 2}행 (for 반복문)" in korean.notes[1]
    assert korean.notes[1].endswith(" 외 3개")


def test_tracebacks_point_at_the_students_own_lines_after_skipping() -> None:
    broken = STUDENT_BATCHNORM.replace("    dx /= N * np.sqrt(var + eps)\n",
                                       "    dx /= N * np.sqrt(var + epsilon)\n")
    line = line_of("    dx /= N * np.sqrt(var + epsilon)", broken)
    result = grade(broken)
    message = next(c.message for c in result.cases if c.visible and not c.passed)
    assert "NameError: name 'epsilon' is not defined" in message
    assert f'File "solution.py", line {line}, in batchnorm_backward' in message
    assert "dx /= N * np.sqrt(var + epsilon)" in message


def test_a_graded_function_using_a_skipped_import_is_told_where_the_name_came_from() -> None:
    plotting = STUDENT_BATCHNORM.replace('    return out, cache\n',
                                         '    plt.hist(out.ravel())\n    return out, cache\n')
    result = grade(plotting)
    assert not result.all_passed
    assert "NameError: name 'plt' is not defined" in result.cases[0].message
    assert any("uses plt, which comes from import matplotlib.pyplot (line 2)" in n
               for n in result.notes), result.notes
    helper = STUDENT_BATCHNORM.replace("x_hat = _normalise(x, mu, var, eps)",
                                       "x_hat = batchnorm_helper(x, mu, var, eps)")
    notes = grade(helper, language="ko").notes
    assert any("batchnorm_helper" in n and "from cs231n.layers import * (3행)" in n
               for n in notes), notes
    # Unless a star import that is kept (of numpy, say) may have bound it.
    notes = grade("from numpy import *\n" + helper).notes
    assert not any("batchnorm_helper" in n for n in notes), notes


def test_what_a_kept_function_needs_is_kept_transitively() -> None:
    source = ("import numpy as np\nimport utils\n"
              "try:\n    import cupy as xp\nexcept ImportError:\n    xp = np\n"
              "SCALE = 2.0\nFACTOR = SCALE / 2\nprint('training...')\n"
              "def scaled(v, k=FACTOR):\n    return xp.asarray(v) * k\n"
              "class Base:\n    unit = 1.0\n"
              "class Decay(Base):\n    def apply(self, W, dW, lr, lambd, m):\n"
              "        return scaled((self.unit - lr * lambd / m) * W - lr * dW)\n"
              "def weight_decay_update(W, dW, lr, lambd, m):\n"
              "    return Decay().apply(W, dW, lr, lambd, m)\n"
              "x = 1; print(x)\n")
    pruned = prune(source, ["weight_decay_update"])
    kept = pruned.source.splitlines()
    original = source.splitlines()
    assert len(kept) == len(original)
    for number, line in enumerate(original):
        if line.startswith(("import utils", "print(")):
            assert kept[number] == ""
        elif line == "x = 1; print(x)":
            assert kept[number] == ""  # x is not used: the whole line goes
        else:
            assert kept[number] == line
    result = grade_source("weight_decay", source)
    assert result.all_passed, result.to_table()


def test_top_level_code_that_fills_a_used_table_is_kept() -> None:
    source = ("import numpy as np\nnp.random.seed(0)\n"
              "FACTORS = {}\nfor m in (1, 2, 4, 5, 10):\n    FACTORS[m] = 1.0 / m\n"
              "SHIFT = []\nSHIFT.append(1.0)\nprint(FACTORS)\nFACTORS.get(3)\n"
              "def weight_decay_update(W, dW, lr, lambd, m):\n"
              "    return (SHIFT[0] - lr * lambd * FACTORS.get(m, 1.0 / m)) * W - lr * dW\n")
    pruned = prune(source, ["weight_decay_update"]).source.splitlines()
    assert pruned[1] == "" and pruned[7] == ""  # the seed, on a module; the print
    assert pruned[3:7] == source.splitlines()[3:7]  # the loop that fills FACTORS, the append
    assert pruned[8] == "FACTORS.get(3)"  # may change FACTORS, as far as anyone can tell
    assert grade_source("weight_decay", source).all_passed


@pytest.mark.parametrize(("source", "expected"), [
    ("A = 1; print(A)\n", "A = 1; pass\n"),
    ("print(1); A = 2\n", "pass; A = 2\n"),
    ("print(1); print(2); A = 3; print(4)\n", "pass; A = 3; pass\n"),
    ("A = 2; print(1,\n  2)\n", "A = 2; pass \\\n\n"),
    ("print(1,\n 2); A = 2\n", "pass \\\n; A = 2\n"),
])
def test_statements_sharing_a_line_with_kept_ones_become_pass(source: str, expected: str) -> None:
    function = "def f(x):\n    return x + A\n"
    pruned = prune(source + function, ["f"])
    assert pruned.source == expected + function
    namespace: dict[str, object] = {}
    exec(compile(pruned.source, "s", "exec"), namespace)  # noqa: S102 - our own test code
    assert namespace["f"](1) == 1 + namespace["A"]  # type: ignore[operator]


def test_plain_files_are_sent_as_they_are_without_parsing() -> None:
    for assignment in registry.all_assignments().values():
        for solution in assignment.solutions:
            assert plain(solution.source), (assignment.slug, solution.name)
            assert prune(solution.source, assignment.function_names).source == solution.source
    assert not plain("import numpy as np\nprint(1)\n")
    assert not plain("import matplotlib.pyplot as plt\ndef f():\n    pass\n")
    assert not plain("import numpy as np; import os\n")
    assert not plain("@decorator\ndef f():\n    pass\n")
    assert plain('"""doc"""\nfrom numpy import (\n    zeros,\n)\ndef f(\n    x,\n):\n    return x\n')


def test_strings_and_simple_constants_keep_a_file_plain() -> None:
    """The references as graded (a docstring after ``from __future__``, ``AXES = (0, 2, 3)``,
    ``Array = NDArray[np.floating]``) skip the analysis; anything that could run code does not."""
    for assignment in registry.all_assignments().values():
        assert plain(reference_source(assignment)), assignment.slug
    head = "from __future__ import annotations\nimport numpy as np\nfrom numpy.typing import NDArray\n"
    for ok in ('"""Doc\nmore doc."""', "EPS = 1e-5  # why", "AXES = (0, 2, 3)", "T = (1,)",
               "Array = NDArray[np.floating]", "DTYPE = np.float64", "W: float = 0.5",
               "NAME = 'x'", "DEBUG = False", "'''a\nstring'''"):
        assert plain(head + ok + "\ndef f():\n    pass\n"), ok
    for not_ok in ("DATA = np.load('x.npy')", "X = helper()", "A = B = 3", "x = [1, 2]",
                   "T = (a, 2)", "Y = plt.figure", "Z = undefined.attr", '"""doc""" + f()',
                   '"""never closed', "import numpy as np; print(1)"):
        assert not plain(head + not_ok + "\ndef f():\n    pass\n"), not_ok


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_signature_mismatch_shows_the_expected_signature(language: str) -> None:
    source = STUDENT_BATCHNORM.replace("def batchnorm_forward(x, gamma, beta, bn_param):",
                                       "def batchnorm_forward(x, gamma, beta):")
    line = line_of("def batchnorm_forward(x, gamma, beta):", source)
    result = grade(source, language=language)
    assert result.score == 0
    expected = "batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)"
    failing = next(c.message for c in result.cases if c.visible and not c.passed)
    assert "takes 3 positional arguments but 4 were given" in failing
    if language == "en":
        said = (f"Your batchnorm_forward(x, gamma, beta) (line {line}) cannot take the tests' "
                f"calls, which pass 4 positional argument(s); expected: {expected}")
    else:
        said = (f"작성한 batchnorm_forward(x, gamma, beta) ({line}행)은(는) 위치 인자 4개를 넘기는 "
                f"테스트 호출을 받을 수 없습니다. 기대하는 형태: {expected}")
    assert said in failing and said in result.notes


def test_defaults_and_star_args_that_accept_the_calls_say_nothing() -> None:
    source = STUDENT_BATCHNORM.replace("def batchnorm_backward(dout, cache):",
                                       "def batchnorm_backward(dout, cache, *extra, scale=1):")
    source = source.replace("    return dx, dgamma, dbeta\n",
                            "    raise ValueError('not finished')\n")
    result = grade(source)
    assert not result.all_passed
    assert not any("expected:" in n for n in result.notes), result.notes


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_misspelt_function_is_named_with_the_closest_definition(language: str) -> None:
    source = STUDENT_BATCHNORM.replace("def batchnorm_backward(", "def batchnorm_backwards(")
    line = line_of("def batchnorm_backwards(dout, cache):", source)
    result = grade(source, language=language)
    assert not result.all_passed and result.score > 0  # the forward cases still pass
    if language == "en":
        said = (f"batchnorm_backward is not defined in your file; did you mean batchnorm_backwards "
                f"(line {line})? expected: batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)")
    else:
        said = (f"파일에 batchnorm_backward 함수가 정의되어 있지 않습니다. batchnorm_backwards "
                f"({line}행)을(를) 뜻했나요? 기대하는 형태: batchnorm_backward(dout, cache) -> "
                "(dx, dgamma, dbeta)")
    assert said in result.notes
    assert any(said in c.message for c in result.cases if c.visible and not c.passed)


def test_a_missing_function_is_never_matched_to_another_required_one() -> None:
    source = STUDENT_BATCHNORM.replace("def batchnorm_backward(", "def backward_pass(")
    notes = grade(source).notes
    said = [n for n in notes if n.startswith("batchnorm_backward is not defined")]
    assert said == ["batchnorm_backward is not defined in your file; expected: "
                    "batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)"], notes


def test_many_statements_on_one_line_are_rebuilt_right() -> None:
    source = "a=1;print(a);" * 2000 + "\nprint(2)\ndef f(x):\n    return x + a\n"
    pruned = prune(source, ["f"])
    assert pruned.source.split("\n")[0] == "a=1;pass;" * 1999 + "a=1;pass"  # to the end
    assert pruned.source.split("\n")[1:] == ["", "def f(x):", "    return x + a", ""]
    assert pruned.notes[0].en.endswith(", and 1993 more")  # 2001 statements skipped, 8 listed


def test_every_statement_says_what_a_file_may_import() -> None:
    for assignment in registry.all_assignments().values():
        statement = assignment.statement
        assert statement["en"].count("## What your file may contain") == 1
        assert "**numpy** and of these modules of **Python's standard library**" in statement["en"]
        assert statement["ko"].count("## 제출 파일에 들어갈 수 있는 것") == 1
        assert "**numpy**와 다음 **파이썬 표준 라이브러리**" in statement["ko"]


def test_a_function_defined_only_under_main_is_said_to_be_so() -> None:
    # The body, indented by 4, stays deeper than the def, now indented by 2, under the if.
    source = STUDENT_BATCHNORM.replace("def batchnorm_backward(dout, cache):",
                                       "if __name__ == '__main__':\n  def batchnorm_backward(dout, cache):")
    line = line_of("if __name__ == '__main__':", source)
    for language, said in (
            ("en", f'batchnorm_backward is defined only under if __name__ == "__main__": (line '
                   f"{line}), which does not run when your file is graded"),
            ("ko", f'batchnorm_backward 함수가 if __name__ == "__main__": 블록({line}행) 안에만 '
                   "정의되어 있는데")):
        notes = grade(source, language=language).notes
        assert any(n.startswith(said) for n in notes), notes
