"""What the values alone do not show (issue 14 §2): inputs changed in place, results that share
memory with an input, and shapes that differ only by size-1 axes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from quizsvc.grading import grade_source, registry
from quizsvc.grading.contract import Contract
from quizsvc.grading.result import HIDDEN_MESSAGES, GradeResult
from quizsvc.sandbox.inside.calls import execute_calls
from quizsvc.sandbox.records import decode_record


def _solution(slug: str, name: str) -> str:
    return next(s.source for s in registry.get(slug).solutions if s.name == name)


def _failing(result: GradeResult) -> set[str]:
    return {c.name for c in result.cases if not c.passed}


def _records(namespace: dict, calls: list[dict], arrays: dict[str, np.ndarray]) -> list[dict]:
    return list(execute_calls(namespace, calls, arrays, lambda key, array: None))


# ----- the child's report -------------------------------------------------------------------

def test_the_child_reports_arguments_changed_in_place_and_shared_results() -> None:
    arrays = {"a": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}

    def square_in_place(x):  # type: ignore[no-untyped-def]
        x **= 2
        return float(x.sum())

    def replace_item(ws):  # type: ignore[no-untyped-def]
        ws[0] = ws[0] * 2
        return 0.0

    def add_key(x, p):  # type: ignore[no-untyped-def]
        p["running_mean"] = x.mean(axis=0)
        return x + 0.0

    def reshape_in_place(x):  # type: ignore[no-untyped-def]
        x.shape = (3, 2)
        return 0.0

    namespace = {"square_in_place": square_in_place, "replace_item": replace_item,
                 "add_key": add_key, "identity": lambda x: x, "view": lambda x: x[:, :2],
                 "copy": lambda x: x.copy(), "reshape_in_place": reshape_in_place}
    calls = [
        {"id": "sq", "fn": "square_in_place", "args": [{"array": "a"}]},
        {"id": "item", "fn": "replace_item", "args": [{"list": [{"array": "a"}, {"array": "b"}]}]},
        {"id": "key", "fn": "add_key", "args": [{"array": "a"}, {"dict": {"gamma": {"array": "b"}}}],
         "fresh": True},
        {"id": "same", "fn": "identity", "args": [{"array": "a"}], "fresh": True},
        {"id": "view", "fn": "view", "args": [{"array": "a"}], "fresh": True},
        {"id": "copy", "fn": "copy", "args": [{"array": "a"}], "fresh": True},
        {"id": "unasked", "fn": "identity", "args": [{"array": "a"}]},
        {"id": "shape", "fn": "reshape_in_place", "args": [{"array": "a"}]},
    ]
    records = {r["id"]: r for r in _records(namespace, calls, arrays)}
    assert records["sq"]["modified"] == [[0]]
    assert records["item"]["modified"] == [[0]]  # the list: the caller's list changed
    assert records["key"]["modified"] == [[1]] and "shared" not in records["key"]
    assert records["same"]["shared"] == [[0]] and "modified" not in records["same"]
    assert records["view"]["shared"] == [[0]]
    assert "shared" not in records["copy"] and "modified" not in records["copy"]
    assert "shared" not in records["unasked"]  # only calls marked fresh are checked
    assert records["shape"]["modified"] == [[0]]
    np.testing.assert_array_equal(arrays["a"], np.arange(6.0).reshape(2, 3))
    outcome = decode_record(records["sq"], {})
    assert outcome.modified == ((0,),) and outcome.shared == ()


def test_malformed_reports_are_dropped() -> None:
    record = {"id": "c", "ok": True, "value": {"none": True},
              "modified": [[0], "x", [True], [], [1, "W1"], [[0]], list(range(20))],
              "shared": {"0": 1}}
    outcome = decode_record(record, {})
    assert outcome.modified == ((0,), (1, "W1")) and outcome.shared == ()


def test_contract_names_the_argument_and_respects_declared_mutable_parameters() -> None:
    contract = Contract.of(["f(x, gamma, bn_param) -> out", "g(weights, lam) -> float"],
                           mutable={"f": ["bn_param"]}, new_arrays=["g"])
    record = decode_record({"id": "c1", "ok": True, "value": {"none": True},
                            "modified": [[0], [2], [2, "running_mean"]]}, {})
    failures = contract.input_failures([{"id": "c1", "fn": "f"}], {"c1": record})
    assert [f.problem for f in failures] == ["modified"]
    assert "f modified its argument x in place" in failures[0].text.en
    assert "f이(가) 인자 x을(를) 제자리에서(in place) 바꿨습니다" in failures[0].text.ko
    record = decode_record({"id": "c2", "ok": True, "value": {"none": True},
                            "modified": [[0, 1]], "shared": [[0, 1]]}, {})
    failures = contract.input_failures([{"id": "c2", "fn": "g"}], {"c2": record})
    assert [f.problem for f in failures] == ["modified", "shared"]
    assert "weights[1]" in failures[0].text.en and "shares memory" in failures[1].text.en
    with pytest.raises(ValueError, match="not in f's signature"):
        Contract.of(["f(x) -> out"], mutable={"f": ["bn_param"]})


# ----- graded submissions -------------------------------------------------------------------

def test_a_penalty_that_squares_the_callers_weights_fails_every_case() -> None:
    source = _solution("penalties", "loops").replace(
        "total += np.sum(np.square(W))", "W **= 2\n        total += np.sum(W)")
    assert source != _solution("penalties", "loops")
    result = grade_source("penalties", source)
    assert result.score == 0 and not result.diagnoses  # its values are right: no mistake named
    visible = next(c for c in result.cases if c.visible)
    assert "l2_penalty modified its argument weights[0] in place" in visible.message
    hidden = next(c for c in result.cases if not c.visible)
    assert hidden.message == HIDDEN_MESSAGES["en"]["modified"]
    korean = grade_source("penalties", source, language="ko")
    assert "l2_penalty이(가) 인자 weights[0]을(를) 제자리에서(in place) 바꿨습니다" in \
        next(c for c in korean.cases if c.visible).message
    assert next(c for c in korean.cases if not c.visible).message == \
        HIDDEN_MESSAGES["ko"]["modified"]


def test_a_weight_decay_step_that_updates_w_in_place_fails_and_says_why() -> None:
    source = ("def weight_decay_update(W, dW, lr, lambd, m):\n"
              "    W *= 1 - lr * lambd / m\n    W -= lr * dW\n    return W\n")
    result = grade_source("weight_decay", source)
    assert result.score == 0 and not result.diagnoses
    message = next(c for c in result.cases if c.visible).message
    assert "weight_decay_update modified its argument W in place" in message
    assert "weight_decay_update returned an array that shares memory with its argument W" in message


def test_batch_norm_may_update_bn_params_running_statistics_in_place() -> None:
    """bn_param is the one argument batch norm changes by contract: in-place updates of the
    running arrays it holds are fine; an in-place change of x is not."""
    base = _solution("batchnorm", "staged")
    assert "running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n" in base
    in_place_running = base.replace(
        "running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n",
        "running_mean *= momentum\n        running_mean += (1 - momentum) * sample_mean\n")
    result = grade_source("batchnorm", in_place_running)
    assert result.all_passed, result.to_table()
    in_place_x = base.replace("xc = x - sample_mean", "x -= sample_mean\n        xc = x")
    assert in_place_x != base
    result = grade_source("batchnorm", in_place_x)
    failing = _failing(result)
    assert failing and "batchnorm_forward modified its argument x in place" in \
        next(c for c in result.cases if c.visible and not c.passed).message


def test_in_place_dropout_fails_although_its_outputs_have_every_property() -> None:
    source = _solution("dropout", "vectorised").replace(
        "out = x * mask / keep_prob", "x *= mask / keep_prob\n    out = x")
    assert source != _solution("dropout", "vectorised")
    result = grade_source("dropout", source)
    failing = _failing(result)
    assert "train_statistics" in failing and "test_mode_identity" not in failing
    message = next(c.message for c in result.cases if c.name == "train_statistics")
    assert "dropout_forward modified its argument x in place" in message


# ----- shapes that differ only by size-1 axes -----------------------------------------------

CS231N_KEEPDIMS = '''
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros((1, D), dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros((1, D), dtype=x.dtype))
    cache = None
    if mode == "train":
        mu = np.mean(x, axis=0, keepdims=True)
        var = np.var(x, axis=0, keepdims=True)
        xhat = (x - mu) / np.sqrt(var + eps)
        out = gamma * xhat + beta
        cache = (xhat, gamma, var, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * xhat, axis=0, keepdims=True)
    dxhat = dout * gamma
    dx = (N * dxhat - np.sum(dxhat, axis=0, keepdims=True)
          - xhat * np.sum(dxhat * xhat, axis=0, keepdims=True)) / (N * np.sqrt(var + eps))
    return dx, dgamma, dbeta
'''


def test_keepdims_batch_norm_gets_full_marks_with_a_note_by_default() -> None:
    assert registry.get("batchnorm").shape_policy == "lenient"
    result = grade_source("batchnorm", CS231N_KEEPDIMS)
    assert result.all_passed and result.score == result.max_score, result.to_table()
    case = next(c for c in result.cases if c.name == "train_forward_backward")
    assert ("dgamma: values right; shape (1, 3) where (3,) is expected (accepted: the shapes "
            "differ only by axes of size 1)") in case.message
    assert "running_mean: values right; shape (1, 3) where (3,) is expected" in case.message
    assert "Gradient check" not in case.message  # it passed: no gradient feedback needed
    assert case.metrics["gradient_check_rel_error"]["gamma"] < 1e-6  # keepdims grads checked
    hidden = next(c for c in result.cases if c.name == "large_offsets")
    assert hidden.passed and hidden.message == HIDDEN_MESSAGES["en"]["passed:size1_axes"]
    korean = grade_source("batchnorm", CS231N_KEEPDIMS, language="ko")
    case = next(c for c in korean.cases if c.name == "train_forward_backward")
    assert ("출력 dgamma: 값은 맞습니다. 모양(shape)이 (3,)이어야 하는데 (1, 3)입니다 (크기 1인 "
            "축만 다르므로 인정합니다)") in case.message
    assert next(c for c in korean.cases if c.name == "large_offsets").message == \
        HIDDEN_MESSAGES["ko"]["passed:size1_axes"]


def test_keepdims_batch_norm_fails_with_the_reason_under_a_strict_policy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    strict = dataclasses.replace(registry.get("batchnorm"), shape_policy="strict")
    result = grade_source(strict, CS231N_KEEPDIMS)
    assert not result.all_passed
    assert _failing(result) == {c.name for c in strict.cases
                                if c.name != "test_mode_small_variance"}  # (D,) stats given
    case = next(c for c in result.cases if c.name == "train_forward_backward")
    assert ("running_mean: values right; shape (1, 3) where (3,) is expected. The shapes differ "
            "only by axes of size 1, but this assignment requires exactly (3,)") in case.message
    hidden = next(c for c in result.cases if c.name == "large_offsets")
    assert hidden.message == HIDDEN_MESSAGES["en"]["size1_axes"]
    assert not [d for d in result.diagnoses if d.kind != "symptom"]  # no mistake explains a shape
    assert {d.key for d in result.diagnoses} == {"symptom:running_mean", "symptom:running_var",
                                                 "symptom:dgamma", "symptom:dbeta"}
    assert all("only size-1 axes of its shape differ" in d.hint for d in result.diagnoses)
    korean = grade_source(strict, CS231N_KEEPDIMS, language="ko")
    assert "이 과제는 정확히 (3,)를 요구합니다" in next(
        c for c in korean.cases if c.name == "train_forward_backward").message


def test_a_shape_of_another_size_is_still_a_shape_error() -> None:
    source = CS231N_KEEPDIMS.replace("dbeta = np.sum(dout, axis=0, keepdims=True)",
                                     "dbeta = np.sum(dout, axis=1, keepdims=True)")
    result = grade_source("batchnorm", source)
    case = next(c for c in result.cases if c.name == "train_forward_backward")
    assert not case.passed and "dbeta: expected shape (3,), got (4, 1)" in case.message


def test_group_norm_applies_a_strict_shape_policy() -> None:
    assert registry.get("groupnorm").shape_policy == "strict"
    source = _solution("groupnorm", "staged")
    keepdims = "dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)"
    assert keepdims in source
    result = grade_source("groupnorm", source.replace(keepdims, keepdims.replace(
        ", keepdims=True", "")))
    case = next(c for c in result.cases if c.name == "forward_backward")
    assert not case.passed
    assert ("dgamma: values right; shape (4,) where (1, 4, 1, 1) is expected. The shapes "
            "differ only by axes of size 1, but this assignment requires exactly (1, 4, 1, 1)"
            ) in case.message


def test_every_statement_states_the_contract_it_is_graded_by() -> None:
    for slug, assignment in registry.all_assignments().items():
        en, ko = assignment.statement["en"], assignment.statement["ko"]
        assert "**Inputs stay unchanged.**" in en and "**입력은 바꾸지 않습니다.**" in ko, slug
        for params in assignment.mutable.values():
            for param in params:
                assert f"`{param}`" in en.split("**Inputs stay unchanged.**")[1], slug
        assert ("**A new array.**" in en) == bool(assignment.new_arrays), slug
        assert ("**새 배열을 반환합니다.**" in ko) == bool(assignment.new_arrays), slug
        strict = assignment.shape_policy == "strict"
        assert ("**Shapes are exact here.**" in en) == strict, slug
        assert ("**모양은 정확해야 합니다.**" in ko) == strict, slug


def test_a_backward_that_changes_the_cached_input_of_its_forward_fails() -> None:
    """The caller's x must stay unchanged after forward too: a backward that works in place on
    the x it finds in the cache changes the caller's array."""
    source = '''
import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return out, (x, gamma, mu, var, eps)


def layernorm_backward(dout, cache):
    x, gamma, mu, var, eps = cache
    D = x.shape[1]
    x -= mu  # in place, on the caller's x
    x_hat = x / np.sqrt(var + eps)
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = (D * dx_hat - dx_hat.sum(axis=1, keepdims=True)
          - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True)) / (D * np.sqrt(var + eps))
    return dx, dgamma, dbeta
'''
    result = grade_source("layernorm", source)
    case = next(c for c in result.cases if c.name == "forward_backward")
    assert not case.passed
    assert ("layernorm_backward modified x, the argument of layernorm_forward, in place through "
            "layernorm_forward's result") in case.message
    assert "worked_example" not in _failing(result)  # forward only: nothing changed x
    fixed = source.replace("    x -= mu  # in place, on the caller's x\n", "    x = x - mu\n")
    assert grade_source("layernorm", fixed).all_passed


def test_a_squeezed_gradient_of_a_row_layer_gets_full_marks_with_a_note() -> None:
    source = _solution("penalties", "loops").replace("lam / m * W for", "lam / m * np.squeeze(W) for")
    assert source != _solution("penalties", "loops")
    result = grade_source("penalties", source)
    assert result.all_passed, result.to_table()
    case = next(c for c in result.cases if c.name == "worked_example")
    assert ("l2_penalty_grad[0]: values right; shape (3,) where (1, 3) is expected (accepted"
            in case.message)


def test_unchanged_inputs_are_recognised_whatever_their_size_or_content() -> None:
    """Large inputs are compared as bit patterns, small ones byte for byte: NaN stays NaN, a
    0-d or float32 input is no exception, and a later call sees what an earlier one's result
    let it change."""
    big = np.full((300, 40), np.nan)
    big[::2] = 1.5
    arrays = {"big": big, "zero_d": np.array(2.0), "f32": np.ones((3, 2), dtype=np.float32)}

    def touch_last(x):  # type: ignore[no-untyped-def]
        x[-1, -1] = 0.0
        return x.sum(), x

    def keep(x):  # type: ignore[no-untyped-def]
        return float(np.nansum(x)), x

    def later(cache):  # type: ignore[no-untyped-def]
        cache[...] = 7.0
        return 0.0

    calls = [{"id": "big", "fn": "keep", "args": [{"array": "big"}]},
             {"id": "zero", "fn": "keep", "args": [{"array": "zero_d"}]},
             {"id": "f32", "fn": "keep", "args": [{"array": "f32"}]},
             {"id": "bigtouch", "fn": "touch_last", "args": [{"array": "big"}]},
             {"id": "first", "fn": "keep", "args": [{"array": "f32"}]},
             {"id": "second", "fn": "later", "args": [{"result": "first", "index": 1}]}]
    records = {r["id"]: r for r in _records({"keep": keep, "touch_last": touch_last,
                                             "later": later}, calls, arrays)}
    assert all("modified" not in records[c] for c in ("big", "zero", "f32", "first"))
    assert records["bigtouch"]["modified"] == [[0]]
    assert records["second"]["modified_via"] == [["first", 0]]
    assert "modified" not in records["second"]  # its own argument is the cache, not an input
