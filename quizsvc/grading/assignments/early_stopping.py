"""Assignment 7: early stopping on a validation-loss curve -> (stop_epoch, best_epoch)."""

from __future__ import annotations

import numpy as np

from quizsvc.grading.assignment import Assignment, FunctionSpec, Mistake, read_text
from quizsvc.grading.assignments._common import mistake, rng_for, value_case
from quizsvc.grading.cases import Case, OutputCheck
from quizsvc.grading.checks import Tolerance
from quizsvc.grading.protocol import ProgramBuilder
from quizsvc.grading.runner.inprocess import namespace_of
from quizsvc.text import Text
from reference import early_stopping

SLUG = "early_stopping"
SEED = 707
TOLERANCE = Tolerance(rtol=0.0, atol=0.0)  # epochs are ints: exact


def _case(name: str, losses: list[float] | np.ndarray, patience: int, min_delta: float, *,
          points: float, visible: bool, summary: Text) -> Case:
    def build(b: ProgramBuilder) -> list[OutputCheck]:
        arg = b.array(losses) if isinstance(losses, np.ndarray) else b.value(list(losses))
        call = b.call("early_stopping", arg, b.value(patience), b.value(min_delta), name="stop")
        return [OutputCheck("stop_epoch", call, (0,), kind="int"),
                OutputCheck("best_epoch", call, (1,), kind="int")]

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=TOLERANCE)


def build_cases() -> list[Case]:
    r = rng_for(SEED, "noisy")
    noisy = np.round(2.0 * np.exp(-np.arange(60) / 12) + 0.002 * np.arange(60)
                     + 0.03 * r.normal(size=60), 4)
    return [
        _case("falls_then_rises", [0.9, 0.7, 0.6, 0.65, 0.7, 0.72, 0.8], 2, 0.0, points=2,
              visible=True, summary=Text(en="loss falls then rises, patience=2, min_delta=0",
                                         ko="손실이 줄다가 다시 오름, patience=2, min_delta=0")),
        _case("never_stops", [1.0, 0.8, 0.7, 0.65, 0.62], 3, 0.0, points=1, visible=True,
              summary=Text(en="loss keeps falling: patience never runs out",
                           ko="손실이 계속 줄어듦: patience가 소진되지 않음")),
        _case("min_delta_matters", [1.0, 0.95, 0.93, 0.92, 0.915, 0.5], 3, 0.1, points=2,
              visible=True, summary=Text(en="small improvements below min_delta=0.1 do not count",
                                         ko="min_delta=0.1보다 작은 개선은 개선이 아님")),
        _case("plateau", [0.5, 0.5, 0.5, 0.5, 0.4], 2, 0.0, points=1, visible=False,
              summary=Text(en="equal losses are no improvement", ko="같은 손실은 개선이 아님")),
        _case("boundary_exactly_min_delta", [1.0, 0.75, 0.5, 0.25, 0.0], 1, 0.25, points=1,
              visible=False, summary=Text(en="an improvement of exactly min_delta does not count",
                                          ko="정확히 min_delta만큼의 개선은 개선이 아님")),
        _case("single_epoch", [0.3], 1, 0.0, points=1, visible=False, summary=Text(en="one epoch",
                                                                                   ko="에폭 하나")),
        _case("negative_losses", [-1.0, -1.5, -1.2, -1.6, -1.55, -1.58, -1.3], 3, 0.05,
              points=1, visible=False, summary=Text(en="negative losses", ko="음수 손실")),
        _case("recovers_before_patience", [1.0, 1.1, 1.2, 0.8, 0.9, 0.95, 0.97, 0.99], 3, 0.0,
              points=1, visible=False, summary=Text(en="an improvement resets the wait",
                                                    ko="개선되면 대기 횟수가 초기화됨")),
        _case("noisy_ndarray", noisy, 5, 0.001, points=2, visible=False,
              summary=Text(en="a long noisy curve given as an ndarray",
                           ko="ndarray로 주어진 길고 잡음 많은 곡선")),
    ]


BASE = read_text("quizsvc.grading.solutions.early_stopping", "loop.py")


def _variant(key: str, patches: list[tuple[str, str]], en: tuple[str, str],
             ko: tuple[str, str]) -> Mistake:
    return mistake(key, BASE, patches, title_en=en[0], hint_en=en[1], title_ko=ko[0],
                   hint_ko=ko[1])


MISTAKES = [
    _variant("patience_off_by_one", [("if waited >= patience:", "if waited > patience:")],
             ("Stops one epoch late", "Stop at the epoch where the number of epochs without "
              "improvement reaches patience (waited >= patience)."),
             ("한 에폭 늦게 멈춤", "개선 없는 에폭 수가 patience에 도달한 그 에폭에서 멈추세요.")),
    _variant("restores_last_epoch", [("return epoch, best_epoch", "return epoch, epoch"),
                                     ("return len(val_losses) - 1, best_epoch",
                                      "return len(val_losses) - 1, len(val_losses) - 1")],
             ("Returns the last epoch instead of the best", "best_epoch is the epoch whose "
              "weights are restored: the best one, not the one where training stopped."),
             ("최적 대신 마지막 에폭을 반환함", "best_epoch는 복원할 가중치의 에폭입니다. 멈춘 "
              "에폭이 아니라 가장 좋았던 에폭입니다.")),
    _variant("min_delta_sign", [("loss < best - min_delta", "loss < best + min_delta")],
             ("min_delta applied the wrong way", "An epoch improves only if the loss drops by "
              "MORE than min_delta: loss < best - min_delta."),
             ("min_delta를 반대로 적용함", "손실이 min_delta보다 더 많이 줄어야 개선입니다: "
              "loss < best − min_delta.")),
    _variant("wait_not_reset", [("            best_epoch = epoch\n            waited = 0\n",
                                 "            best_epoch = epoch\n")],
             ("Wait counter not reset", "Reset the count of epochs without improvement to 0 "
              "whenever the loss improves."),
             ("대기 카운터를 초기화하지 않음", "손실이 개선될 때마다 개선 없는 에폭 수를 0으로 "
              "되돌리세요.")),
    _variant("compares_with_previous", [("if loss < best - min_delta:",
                                         "if loss < val_losses[epoch - 1] - min_delta:")],
             ("Compares with the previous epoch", "Compare each loss with the best loss so "
              "far, not with the previous epoch's."),
             ("직전 에폭과 비교함", "직전 에폭이 아니라 지금까지의 최저 손실과 비교하세요.")),
    _variant("non_strict_improvement", [("loss < best - min_delta", "loss <= best - min_delta")],
             ("Equal losses count as improvement", "Improvement is strict: "
              "loss < best - min_delta; an equal loss is not an improvement."),
             ("같은 손실도 개선으로 셈", "개선은 엄격한 부등식입니다: loss < best − min_delta.")),
    _variant("one_based_epochs", [("return epoch, best_epoch", "return epoch + 1, best_epoch + 1"),
                                  ("return len(val_losses) - 1, best_epoch",
                                   "return len(val_losses), best_epoch + 1")],
             ("1-based epochs", "Epochs are 0-based: the first loss is epoch 0."),
             ("에폭을 1부터 셈", "에폭은 0부터 셉니다. 첫 손실이 에폭 0입니다.")),
]

ASSIGNMENT = Assignment(
    slug=SLUG,
    title=Text(en="Early stopping", ko="조기 종료(early stopping)"),
    functions=[FunctionSpec("early_stopping",
                            "early_stopping(val_losses, patience, min_delta) -> (int, int)")],
    build_cases=build_cases,
    reference=namespace_of(early_stopping),
    mistakes=MISTAKES,
    tolerance=TOLERANCE,
    order=7,
)
