"""Cases of the max-norm assignment, built with gradekit (run in the sandbox)."""

import numpy as np
from gradekit import Output, Text, Tolerance, rng_for, value_case

SEED = 1010
F32 = Tolerance(rtol=1e-5, atol=1e-6)


def _clip_case(name, W, c, *, points, visible, summary, tolerance=None):
    def build(b):
        call = b.call("max_norm", b.array(W), b.value(c), name="max_norm")
        return [Output("W_constrained", call)]

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=tolerance or Tolerance(rtol=1e-6, atol=1e-9))


def _step_case(name, shape, lr, c, *, points, visible, summary):
    r = rng_for(SEED, name)
    W, dW = r.normal(0, 2, size=shape), r.normal(size=shape)

    def build(b):
        call = b.call("max_norm_step", b.array(W), b.array(dW), b.value(lr), b.value(c),
                      name="step")
        return [Output("W_next", call)]

    return value_case(name, points=points, visible=visible, summary=summary, build=build,
                      tolerance=Tolerance(rtol=1e-6, atol=1e-9))


def cases():
    zero = rng_for(SEED, "zero_column").normal(size=(3, 4))
    zero[:, 2] = 0.0
    return [
        _clip_case("worked_example", np.array([[3.0, 0.0], [4.0, 0.5]]), 2.0, points=1,
                   visible=True,
                   summary=Text(en="W = [[3, 0], [4, 0.5]], c = 2", ko="W = [[3, 0], [4, 0.5]], c = 2")),
        _clip_case("random", rng_for(SEED, "random").normal(0, 2, size=(5, 4)), 1.5, points=2,
                   visible=True, summary=Text(en="5x4 weights, c = 1.5", ko="5x4 가중치, c = 1.5")),
        _clip_case("all_inside", rng_for(SEED, "inside").normal(0, 0.1, size=(6, 3)), 3.0,
                   points=1, visible=False,
                   summary=Text(en="every column already inside the ball", ko="모든 열이 이미 공 안에 있음")),
        _clip_case("zero_column", zero, 1.0, points=1, visible=True,
                   summary=Text(en="a column of zeros", ko="0으로만 된 열")),
        _clip_case("float32", rng_for(SEED, "f32").normal(0, 3, size=(4, 5)).astype(np.float32),
                   2.0, points=1, visible=False, tolerance=F32,
                   summary=Text(en="float32 weights", ko="float32 가중치")),
        _step_case("sgd_step", (4, 3), 0.1, 1.0, points=2, visible=True,
                   summary=Text(en="one SGD step, then the constraint", ko="SGD 한 단계 후 제약 적용")),
        _step_case("sgd_step_large", (7, 6), 0.5, 0.5, points=2, visible=False,
                   summary=Text(en="a larger step and a tighter ball", ko="더 큰 단계와 더 작은 공")),
    ]
