"""Property judges: trusted, generic checks of outputs that are random by design (dropout).

A property case of an assignment package (``gradekit.property_case(..., judge="name")``) names
one of the judges in :data:`JUDGES`; its ``params`` are what the case's build returned (call ids,
``{"array": name}`` specs naming the case's arrays, numbers, booleans). A judge reads the
submission's outputs only, never the reference's: a random stream cannot be matched, its
statistics can. It returns a :class:`Verdict` whose ``signature`` lists the properties that
failed and whose ``features`` are observed rates: diagnosis matches a failing submission with a
known mistake by both (``feature_tol`` of the case says how close the rates must be).

Calls' outputs that cannot be read (an exception, a wrong type or shape, NaN) give a failing
verdict with signature ``("error:<problem>",)`` (see :func:`judge_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from quizsvc.grading.cases import ExtractError, Verdict, extract
from quizsvc.grading.checks import named, wrong_shape, wrong_type
from quizsvc.grading.runner import RunOutcome
from quizsvc.grading.stats import binomial_interval
from quizsvc.text import Text

Judge = Callable[[dict[str, Any], dict[str, np.ndarray], RunOutcome], Verdict]


def judge_for(name: str, params: dict[str, Any],
              arrays: dict[str, np.ndarray]) -> Callable[[RunOutcome], Verdict]:
    """The judge ``name`` bound to one case's params and arrays; an output it cannot read
    makes the case fail with that output's problem instead of raising."""
    if name not in JUDGES:
        raise ValueError(f"unknown property judge {name!r} (known: {', '.join(sorted(JUDGES))})")
    judge = JUDGES[name]

    def run(outcome: RunOutcome) -> Verdict:
        try:
            return judge(params, arrays, outcome)
        except ExtractError as exc:
            return Verdict(False, exc.text, exc.problem, signature=(f"error:{exc.problem}",))
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            # Params the package got wrong: the build refuses such a package (the reference
            # must pass its own judges), so this is only a guard against a 500.
            return Verdict(False, Text(en=f"the case is misconfigured: {exc!r}",
                                       ko=f"케이스 설정이 잘못되었습니다: {exc!r}"), "case",
                           signature=("error:case",))
    return run


def _input(params: dict[str, Any], arrays: dict[str, np.ndarray], key: str) -> np.ndarray:
    """The case array that ``params[key]`` (an ``{"array": name}`` spec) names."""
    spec = params[key]
    if not isinstance(spec, dict) or "array" not in spec:
        raise ValueError(f"property parameter {key!r} must be an array spec, got {spec!r}")
    return arrays[spec["array"]]


def _output(outcome: RunOutcome, call: str, path: tuple[int, ...], label: str,
            shape: tuple[int, ...]) -> np.ndarray:
    """A numeric, finite output of the expected shape, as float64."""
    value = extract(outcome, call, path, label)
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
        raise ExtractError(wrong_type(label, shape, value), "type")
    if value.shape != shape:
        raise ExtractError(wrong_shape(label, shape, value.shape), "shape")
    if not np.all(np.isfinite(value)):
        name = named(label)
        raise ExtractError(Text(en=f"{name.en}: contains NaN or infinite values",
                                ko=f"{name.ko}: NaN 또는 무한대 값이 있습니다"), "nonfinite")
    return value.astype(np.float64)


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    return bool(np.all(np.abs(a - b) <= rtol * np.abs(b)))


def _verdict(failed: list[tuple[str, Text]], features: dict[str, float]) -> Verdict:
    if not failed:
        return Verdict(True, features=features, metrics=dict(features))
    return Verdict(False, Text.join("; ", [m for _, m in failed]), "property", dict(features),
                   tuple(sorted(k for k, _ in failed)), features)


def inverted_dropout(params: dict[str, Any], arrays: dict[str, np.ndarray],
                     outcome: RunOutcome) -> Verdict:
    """Train mode of inverted dropout: each entry of x is kept independently with probability
    keep_prob, kept entries are divided by keep_prob, dropped ones are 0; the backward pass
    applies the forward pass's mask and scale to dout.

    Params:

    - ``forward``: call id of the forward pass; item 0 of what it returns is ``out``;
    - ``x``: ``{"array": name}``, the forward's input (no zeros: a zero in out means dropped);
    - ``keep_prob``: the probability of keeping an entry;
    - ``rtol``: relative tolerance of kept entries against x / keep_prob (and of dx);
    - ``backward`` (optional, None: no backward check): call id of the backward pass, which
      returns dx;
    - ``dout`` (with ``backward``): ``{"array": name}``, the backward's upstream gradient.

    Signature keys: ``kept_values`` (kept entries are not x / keep_prob), ``shared_mask`` (all
    rows of a batch got the same mask), ``kept_fraction`` (outside the 99.9% binomial interval
    of keep_prob), ``backward_mask`` (dx is not dout * mask / keep_prob). Features:
    ``kept_fraction``, ``scale`` (median out/x of kept entries times keep_prob) and, when dx is
    wrong, ``backward_scale`` and ``backward_dropped_zero``.
    """
    x = _input(params, arrays, "x")
    keep_prob, rtol = float(params["keep_prob"]), float(params["rtol"])
    out = _output(outcome, params["forward"], (0,), "out", x.shape)
    kept = out != 0
    n_kept, n = int(kept.sum()), kept.size
    features = {"kept_fraction": n_kept / n}
    failed: list[tuple[str, Text]] = []
    if n_kept:
        out_kept, x_kept = out[kept], x[kept]  # boolean indexing is costly: once each
        ratio = out_kept / x_kept
        features["scale"] = float(np.median(ratio) * keep_prob)
        if not _close(out_kept, x_kept / keep_prob, rtol):
            median, want = f"{np.median(ratio):.4g}", f"{1 / keep_prob:.4g}"
            failed.append(("kept_values", Text(
                en=f"kept entries must equal x / keep_prob (median out/x is {median}, "
                f"expected {want})",
                ko=f"남긴 원소의 값은 x / keep_prob이어야 합니다 (out/x의 중앙값 {median}, "
                f"기대값 {want})")))
    shared = x.shape[0] > 1 and n_kept not in (0, n) and bool(np.all(kept == kept[0]))
    if shared:
        failed.append(("shared_mask", Text(
            en="every example got the same mask: draw one independent value per entry, of "
            "shape x.shape",
            ko="모든 예제가 같은 마스크를 받았습니다. 원소마다 독립적인 난수를 x.shape 모양으로 "
            "뽑으세요")))
    else:
        low, high = binomial_interval(n, keep_prob)
        if not low <= n_kept <= high:
            rate = f"{n_kept / n:.3f}"
            lo, hi = f"{max(low, 0) / n:.3f}", f"{min(high, n) / n:.3f}"
            failed.append(("kept_fraction", Text(
                en=f"kept {n_kept} of {n} entries ({rate}); with keep_prob={keep_prob} "
                f"expected between {lo} and {hi}",
                ko=f"{n}개 중 {n_kept}개를 남겼습니다 ({rate}). keep_prob={keep_prob}이면 "
                f"{lo}에서 {hi} 사이여야 합니다")))
    if params.get("backward"):
        dout = _input(params, arrays, "dout")
        dx = _output(outcome, params["backward"], (), "dx", x.shape)
        if not _close(dx, dout * kept / keep_prob, rtol):
            # Which way it is wrong: the scale on kept units, zeros on dropped ones.
            if n_kept:
                features["backward_scale"] = float(np.median(dx[kept] / dout[kept])
                                                   * keep_prob)
            if n_kept < n:
                features["backward_dropped_zero"] = float(np.mean(dx[~kept] == 0))
            failed.append(("backward_mask", Text(
                en="dx must be dout * mask / keep_prob with the forward pass's mask",
                ko="dx는 순전파의 마스크를 그대로 써서 계산해야 합니다: dx = dout * mask / "
                "keep_prob")))
    return _verdict(failed, features)


def identity(params: dict[str, Any], arrays: dict[str, np.ndarray],
             outcome: RunOutcome) -> Verdict:
    """Test mode (train=False) of dropout: the forward pass returns x unchanged (no mask, no
    scaling) and the backward pass returns dout unchanged.

    Params: ``forward`` (call id; item 0 of what it returns is ``out``), ``x`` (``{"array":
    name}``, no zeros), ``backward`` (call id; it returns dx), ``dout`` (``{"array": name}``),
    ``rtol`` (relative tolerance of both comparisons).

    Signature keys: ``test_not_identity`` (out is not x), ``test_backward`` (dx is not dout).
    Features: ``test_scale`` (median out/x).
    """
    x, dout = _input(params, arrays, "x"), _input(params, arrays, "dout")
    rtol = float(params["rtol"])
    out = _output(outcome, params["forward"], (0,), "out", x.shape)
    features = {"test_scale": float(np.median(out / x))}
    failed = []
    if not _close(out, x, rtol):
        median = f"{np.median(out / x):.4g}"
        failed.append(("test_not_identity", Text(
            en="in test mode (train=False) out must equal x: no mask and no scaling (median "
            f"out/x is {median})",
            ko="테스트 모드(train=False)에서는 out이 x와 같아야 합니다. 마스크도 스케일링도 "
            f"없습니다 (out/x의 중앙값 {median})")))
    if not _close(_output(outcome, params["backward"], (), "dx", x.shape), dout, rtol):
        failed.append(("test_backward", Text(en="in test mode dx must equal dout",
                                             ko="테스트 모드에서는 dx가 dout과 같아야 합니다")))
    return _verdict(failed, features)


def independent_draws(params: dict[str, Any], arrays: dict[str, np.ndarray],
                      outcome: RunOutcome) -> Verdict:
    """Two training calls of a dropout forward pass on the same x: with ONE generator passed
    to both, the masks (the zero patterns of out) must differ, a fresh mask per call; with two
    generators seeded alike they must agree, the mask coming from the generator argument.

    Params: ``calls`` (the two call ids; item 0 of what each returns is ``out``), ``x``
    (``{"array": name}``, no zeros; gives out's shape), ``same_generator`` (true: one
    generator, the masks must differ; false: two generators seeded alike, they must agree).

    Signature keys: ``same_mask_each_call``, ``ignores_rng``. No features.
    """
    x = _input(params, arrays, "x")
    same_generator = bool(params["same_generator"])
    first, second = (_output(outcome, c, (0,), "out", x.shape) for c in params["calls"])
    same = bool(np.array_equal(first != 0, second != 0))
    if same_generator and same:
        return _verdict([("same_mask_each_call", Text(
            en="two calls drew the same mask: draw a fresh mask from rng on every call",
            ko="두 번의 호출이 같은 마스크를 뽑았습니다. 호출할 때마다 rng로 새 마스크를 "
            "뽑으세요"))], {})
    if not same_generator and not same:
        return _verdict([("ignores_rng", Text(
            en="two generators seeded alike gave different masks: draw the mask from the rng "
            "argument, not np.random",
            ko="같은 시드의 두 생성기가 서로 다른 마스크를 만들었습니다. np.random이 아니라 "
            "rng 인자로 마스크를 뽑으세요"))], {})
    return _verdict([], {})


JUDGES: dict[str, Judge] = {
    "inverted_dropout": inverted_dropout,
    "identity": identity,
    "independent_draws": independent_draws,
}
