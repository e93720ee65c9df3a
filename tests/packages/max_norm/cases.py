"""The SGD-step cases of the max-norm assignment, built with gradekit (run in the sandbox);
the clipping cases are declared as data in cases.toml."""

from gradekit import Output, Text, Tolerance, rng_for, value_case

SEED = 1010


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
    return [
        _step_case("sgd_step", (4, 3), 0.1, 1.0, points=2, visible=True,
                   summary=Text(en="one SGD step, then the constraint", ko="SGD 한 단계 후 제약 적용")),
        _step_case("sgd_step_large", (7, 6), 0.5, 0.5, points=2, visible=False,
                   summary=Text(en="a larger step and a tighter ball", ko="더 큰 단계와 더 작은 공")),
    ]
