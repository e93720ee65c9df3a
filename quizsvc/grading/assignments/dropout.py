"""Assignment 4: inverted dropout, graded by properties rather than one random stream."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import mistake, rng_for
from quizsvc.grading.cases import Case, ExtractError, Verdict, extract
from quizsvc.grading.checks import Tolerance, named, wrong_shape, wrong_type
from quizsvc.grading.gradcheck import add_gradcheck
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner import RunOutcome
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.grading.stats import binomial_interval
from quizsvc.text import Text
from reference import dropout

SLUG = "dropout"
SEED = 404
TOLERANCE = Tolerance(rtol=1e-12, atol=0.0)  # kept entries are x / keep_prob up to rounding
F32_EXACT = 1e-6
GRADCHECK_THRESHOLD = 1e-6  # correct code: ~1e-10 (dropout is linear in x for a fixed mask)
FEATURE_TOL = {"kept_fraction": 0.03, "scale": 0.01, "test_scale": 0.01,
               "backward_scale": 0.01, "backward_dropped_zero": 0.05}


def _nonzero_inputs(name: str, shape: tuple[int, int], low: float = 0.5, high: float = 2.0,
                    negative: bool = False) -> np.ndarray:
    # No zeros: a zero in out then always means "dropped".
    r = rng_for(SEED, name)
    magnitude = r.uniform(low, high, size=shape)
    return -magnitude if negative else magnitude * r.choice([-1.0, 1.0], size=shape)


def _array(outcome: RunOutcome, call: str, path: tuple[int, ...], label: str,
           shape: tuple[int, ...]) -> np.ndarray:
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


def _guarded(judge: Callable[[RunOutcome], Verdict]) -> Callable[[RunOutcome], Verdict]:
    def run(outcome: RunOutcome) -> Verdict:
        try:
            return judge(outcome)
        except ExtractError as exc:
            return Verdict(False, exc.text, exc.problem, signature=(f"error:{exc.problem}",))
    return run


def _verdict(failed: list[tuple[str, Text]], features: dict[str, float]) -> Verdict:
    if not failed:
        return Verdict(True, features=features, metrics=dict(features))
    return Verdict(False, Text.join("; ", [m for _, m in failed]), "property", dict(features),
                   tuple(sorted(k for k, _ in failed)), features)


def _train_case(name: str, x: np.ndarray, keep_prob: float, *, points: float, visible: bool,
                summary: Text, backward: bool = True, gradcheck: bool = False) -> Case:
    b = ProgramBuilder(name)
    seed = int(rng_for(SEED, name + "/seed").integers(2**31))
    fwd = b.call("dropout_forward", b.array(x), b.value(keep_prob), b.value(True), b.rng(seed),
                 select=[0], name="forward")
    dout = rng_for(SEED, name + "/dout").normal(size=x.shape).astype(x.dtype)
    bwd = b.call("dropout_backward", b.array(dout), b.result(fwd, 1), name="backward") \
        if backward else None
    check = None
    if gradcheck and bwd:
        check = add_gradcheck(
            b, "dropout_forward",
            lambda v: [b.array(v["x"]), b.value(keep_prob), b.value(True), b.rng(seed)],
            {"x": x}, analytic={"x": (bwd, ())}, out_path=(0,), dout=dout, select=[0],
            threshold=GRADCHECK_THRESHOLD)
    rtol = F32_EXACT if x.dtype == np.float32 else TOLERANCE.rtol

    def judge(outcome: RunOutcome) -> Verdict:
        out = _array(outcome, fwd, (0,), "out", x.shape)
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
        if bwd:
            dx = _array(outcome, bwd, (), "dx", x.shape)
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

    return Case(name, points, visible, summary, b.program, judge=_guarded(judge),
                feature_tol=FEATURE_TOL, gradcheck=check)


def _test_mode_case(name: str, *, points: float, visible: bool, summary: Text) -> Case:
    b = ProgramBuilder(name)
    x = _nonzero_inputs(name, (20, 10))
    dout = rng_for(SEED, name + "/dout").normal(size=x.shape)
    fwd = b.call("dropout_forward", b.array(x), b.value(0.6), b.value(False), b.rng(7),
                 select=[0], name="forward")
    bwd = b.call("dropout_backward", b.array(dout), b.result(fwd, 1), name="backward")

    def judge(outcome: RunOutcome) -> Verdict:
        out = _array(outcome, fwd, (0,), "out", x.shape)
        features = {"test_scale": float(np.median(out / x))}
        failed = []
        if not _close(out, x, TOLERANCE.rtol):
            median = f"{np.median(out / x):.4g}"
            failed.append(("test_not_identity", Text(
                en="in test mode (train=False) out must equal x: no mask and no scaling (median "
                f"out/x is {median})",
                ko="테스트 모드(train=False)에서는 out이 x와 같아야 합니다. 마스크도 스케일링도 "
                f"없습니다 (out/x의 중앙값 {median})")))
        if not _close(_array(outcome, bwd, (), "dx", x.shape), dout, TOLERANCE.rtol):
            failed.append(("test_backward", Text(en="in test mode dx must equal dout",
                                                 ko="테스트 모드에서는 dx가 dout과 같아야 합니다")))
        return _verdict(failed, features)

    return Case(name, points, visible, summary, b.program, judge=_guarded(judge),
                feature_tol=FEATURE_TOL)


def _pair_case(name: str, *, same_generator: bool, points: float, visible: bool,
               summary: Text) -> Case:
    """Two training calls on the same x: with ONE generator the masks must differ (fresh mask
    per call); with two generators seeded alike they must agree (the mask comes from rng)."""
    b = ProgramBuilder(name)
    x = _nonzero_inputs(name, (50, 20))
    args = [b.rng(11, bind="g"), b.object("g")] if same_generator else [b.rng(11), b.rng(11)]
    calls = [b.call("dropout_forward", b.array(x), b.value(0.5), b.value(True), arg,
                    select=[0], name=f"forward{i}") for i, arg in enumerate(args)]

    def judge(outcome: RunOutcome) -> Verdict:
        first, second = (_array(outcome, c, (0,), "out", x.shape) for c in calls)
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

    return Case(name, points, visible, summary, b.program, judge=_guarded(judge),
                feature_tol=FEATURE_TOL)


def build_cases() -> list[Case]:
    return [
        _train_case("train_statistics", _nonzero_inputs("train", (300, 40)), 0.8, points=2,
                    visible=True, backward=False,
                    summary=Text(en="train mode, keep_prob=0.8, 300x40: kept fraction, scaling, "
                                 "masks",
                                 ko="학습 모드, keep_prob=0.8, 300x40: 남기는 비율, 스케일링, 마스크")),
        _train_case("backward_reuses_mask", _nonzero_inputs("bwd", (6, 5)), 0.7, points=2,
                    visible=True, gradcheck=True,
                    summary=Text(en="train mode, keep_prob=0.7, backward uses the forward mask",
                                 ko="학습 모드, keep_prob=0.7, 역전파가 순전파의 마스크를 사용")),
        _test_mode_case("test_mode_identity", points=1, visible=True,
                        summary=Text(en="test mode: forward and backward are the identity",
                                     ko="테스트 모드: 순전파와 역전파가 항등 함수")),
        _pair_case("fresh_masks", same_generator=True, points=1, visible=True,
                   summary=Text(en="two calls with the same Generator draw different masks",
                                ko="같은 Generator로 두 번 호출하면 마스크가 서로 다름")),
        _pair_case("mask_from_rng", same_generator=False, points=1, visible=True,
                   summary=Text(en="two Generators seeded alike give the same mask",
                                ko="같은 시드의 Generator 두 개는 같은 마스크를 만듦")),
        _train_case("float32_half", _nonzero_inputs("f32", (200, 50)).astype(np.float32), 0.5,
                    points=2, visible=False, summary=Text(en="float32, keep_prob=0.5",
                                                          ko="float32 입력, keep_prob=0.5")),
        _train_case("large_negative_low_keep",
                    _nonzero_inputs("neg", (400, 30), 1.0, 1000.0, negative=True), 0.3,
                    points=2, visible=False, summary=Text(en="large negative values, keep_prob=0.3",
                                                          ko="큰 음수 값, keep_prob=0.3")),
        _train_case("keep_all", _nonzero_inputs("all", (30, 20)), 1.0, points=1, visible=False,
                    summary=Text(en="keep_prob=1: nothing dropped",
                                 ko="keep_prob=1: 아무것도 버리지 않음")),
        _train_case("one_wide_example", _nonzero_inputs("wide", (1, 3000)), 0.6, points=1,
                    visible=False, backward=False, summary=Text(en="a batch of one wide example",
                                                                ko="특성이 많은 예제 하나로 된 배치")),
    ]


BASE = read_text("quizsvc.grading.solutions.dropout", "vectorised.py")
_MASK = "mask = rng.random(x.shape) < keep_prob"
_FWD = "out = x * mask / keep_prob"
_BWD = "return dout * mask / keep_prob"


def _variant(key: str, patches: list[tuple[str, str]], en: tuple[str, str],
             ko: tuple[str, str]) -> Mistake:
    return mistake(key, BASE, patches, title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("no_scaling", [(_FWD, "out = x * mask"), (_BWD, "return dout * mask")],
             ("Forgot to divide by keep_prob", "Inverted dropout divides the kept activations "
              "by keep_prob during training, so their expected value is unchanged."),
             ("keep_prob로 나누지 않음", "역 드롭아웃은 학습 중 남긴 활성값을 keep_prob로 "
              "나눠 기댓값을 유지합니다.")),
    _variant("keep_drop_confused", [(_MASK, "mask = rng.random(x.shape) < 1 - keep_prob")],
             ("keep_prob used as the drop probability", "keep_prob is the probability of "
              "KEEPING a unit: keep it when rng.random() < keep_prob."),
             ("keep_prob를 버릴 확률로 사용함", "keep_prob는 유닛을 '남길' 확률입니다: "
              "rng.random() < keep_prob이면 남깁니다.")),
    _variant("keep_drop_swapped", [(_MASK, "mask = rng.random(x.shape) < 1 - keep_prob"),
                                   (_FWD, "out = x * mask / (1 - keep_prob)"),
                                   (_BWD, "return dout * mask / (1 - keep_prob)")],
             ("keep_prob treated as the drop probability throughout", "keep_prob is the "
              "probability of KEEPING a unit: keep it when rng.random() < keep_prob and divide "
              "the kept values by keep_prob, not by 1 - keep_prob."),
             ("keep_prob를 처음부터 끝까지 버릴 확률로 사용함", "keep_prob는 유닛을 '남길' "
              "확률입니다. rng.random() < keep_prob이면 남기고, 남긴 값은 1 − keep_prob가 아니라 "
              "keep_prob로 나눕니다.")),
    _variant("scaled_at_test_time", [(_FWD, "out = x * mask"), (_BWD, "return dout * mask"),
                                     ("        return x, None", "        return x * keep_prob, None")],
             ("Scaling at test time instead of training", "With inverted dropout the scaling "
              "happens in training (divide by keep_prob); test mode returns x unchanged."),
             ("학습이 아니라 테스트 때 스케일링함", "역 드롭아웃은 학습 때 keep_prob로 "
              "나눕니다. 테스트 모드에서는 x를 그대로 반환합니다.")),
    _variant("shared_mask", [(_MASK, "mask = rng.random((1, x.shape[1])) < keep_prob")],
             ("One mask shared by the whole batch", "Each example needs its own mask: draw "
              "the random values with shape x.shape."),
             ("배치 전체가 하나의 마스크를 공유함", "예제마다 다른 마스크가 필요합니다. "
              "x.shape 모양으로 난수를 뽑으세요.")),
    _variant("randn_mask", [(_MASK, "mask = rng.standard_normal(x.shape) < keep_prob")],
             ("Mask drawn from a normal distribution", "Use uniform random numbers in [0, 1) "
              "(rng.random), not normal ones (randn / standard_normal)."),
             ("정규분포로 마스크를 만듦", "정규분포(randn)가 아니라 [0, 1) 균등분포 "
              "(rng.random) 난수를 쓰세요.")),
    _variant("backward_no_scaling", [(_BWD, "return dout * mask")],
             ("Backward forgets 1/keep_prob", "The backward pass applies the same mask AND "
              "the same 1/keep_prob scaling as the forward pass."),
             ("역전파에서 1/keep_prob를 빠뜨림", "역전파에도 순전파와 같은 마스크와 "
              "1/keep_prob 스케일을 적용하세요.")),
    _variant("ignores_rng", [(_MASK, "mask = np.random.rand(*x.shape) < keep_prob")],
             ("Mask not drawn from rng", "Draw the mask from the rng argument "
              "(rng.random(x.shape)), not from np.random."),
             ("rng로 마스크를 뽑지 않음", "np.random이 아니라 인자로 받은 rng "
              "(rng.random(x.shape))로 마스크를 뽑으세요.")),
    _variant("same_mask_every_call",
             [(_MASK, "mask = np.random.default_rng(0).random(x.shape) < keep_prob")],
             ("Same mask on every call", "A new mask is drawn on every call: use the rng "
              "passed in, do not create a freshly seeded generator each time."),
             ("매 호출 같은 마스크", "호출할 때마다 새 마스크를 뽑아야 합니다. 매번 같은 "
              "시드로 생성기를 만들지 말고 전달받은 rng를 쓰세요.")),
    _variant("backward_ignores_mask", [(_BWD, "return dout / keep_prob")],
             ("Backward ignores the mask", "Dropped units get zero gradient: multiply dout by "
              "the forward pass's mask."),
             ("역전파에서 마스크를 무시함", "버려진 유닛의 기울기는 0입니다. dout에 순전파의 "
              "마스크를 곱하세요.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Inverted dropout", ko="역 드롭아웃(inverted dropout)"),
    functions=[
        FunctionSpec("dropout_forward", "dropout_forward(x, keep_prob, train, rng) -> (out, cache)"),
        FunctionSpec("dropout_backward", "dropout_backward(dout, cache) -> dx"),
    ],
    build_cases=build_cases,
    reference=namespace_of(dropout),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    order=4,
)
