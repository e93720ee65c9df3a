"""Cases of the early_stopping assignment: a validation-loss curve -> (stop_epoch, best_epoch)."""

from __future__ import annotations

import numpy as np
from gradekit import CaseSpec, Output, ProgramBuilder, Text, Tolerance, rng_for, value_case

SEED = 707
TOLERANCE = Tolerance(rtol=0.0, atol=0.0)  # epochs are ints: exact


def _case(name: str, losses: list[float] | np.ndarray, patience: int, min_delta: float, *,
          points: float, visible: bool, summary: Text) -> CaseSpec:
    def build(b: ProgramBuilder) -> list[Output]:
        arg = b.array(losses) if isinstance(losses, np.ndarray) else b.value(list(losses))
        call = b.call("early_stopping", arg, b.value(patience), b.value(min_delta), name="stop")
        return [Output("stop_epoch", call, (0,), kind="int"),
                Output("best_epoch", call, (1,), kind="int")]

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=TOLERANCE)


def cases() -> list[CaseSpec]:
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
        _case("single_epoch", [0.3], 1, 0.0, points=1, visible=False,
              summary=Text(en="one epoch", ko="에폭 하나")),
        _case("negative_losses", [-1.0, -1.5, -1.2, -1.6, -1.55, -1.58, -1.3], 3, 0.05,
              points=1, visible=False, summary=Text(en="negative losses", ko="음수 손실")),
        _case("recovers_before_patience", [1.0, 1.1, 1.2, 0.8, 0.9, 0.95, 0.97, 0.99], 3, 0.0,
              points=1, visible=False, summary=Text(en="an improvement resets the wait",
                                                    ko="개선되면 대기 횟수가 초기화됨")),
        _case("noisy_ndarray", noisy, 5, 0.001, points=2, visible=False,
              summary=Text(en="a long noisy curve given as an ndarray",
                           ko="ndarray로 주어진 길고 잡음 많은 곡선")),
    ]
