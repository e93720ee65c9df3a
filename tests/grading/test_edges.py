"""Cases at the legal edges of the inputs (issue 14 §2): numerically careless code that is right
on typical inputs loses exactly the edge case where it is wrong, and every correct solution
still gets full marks there (selfcheck and test_validation check the latter)."""

from __future__ import annotations

import pytest

from quizsvc.grading import grade_source, registry

CE = "np.log(A_L) + (1 - Y) * np.log(1 - A_L)"

CARELESS = [
    # (assignment, base solution, patch, the one case it must lose)
    ("regularized_cost", "loops", (CE, "np.log(A_L + 1e-8) + (1 - Y) * np.log(1 - A_L + 1e-8)"),
     "extreme_probabilities"),
    ("regularized_cost", "loops",
     ("m = Y.shape[1]\n", "m = Y.shape[1]\n    A_L = np.clip(A_L, 1e-8, 1 - 1e-8)\n"),
     "extreme_probabilities"),
    ("penalties", "loops", ("lam * np.sign(W)", "lam * W / (np.abs(W) + 1e-8)"),
     "tiny_weights"),
]


@pytest.mark.parametrize(("slug", "base", "patch", "edge"), CARELESS,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CARELESS)])
def test_careless_code_loses_exactly_the_edge_case(slug: str, base: str,
                                                   patch: tuple[str, str], edge: str) -> None:
    source = next(s.source for s in registry.get(slug).solutions if s.name == base)
    assert source.count(patch[0]) == 1
    result = grade_source(slug, source.replace(*patch))
    assert [c.name for c in result.cases if not c.passed] == [edge], result.to_table()


def test_the_log_of_a_shifted_probability_is_shown_how_far_off_it_is() -> None:
    source = next(s.source for s in registry.get("regularized_cost").solutions
                  if s.name == "loops").replace(CE, "np.log(A_L + 1e-8) + (1 - Y) * np.log(1 - A_L)")
    case = next(c for c in grade_source("regularized_cost", source).cases
                if c.name == "extreme_probabilities")
    assert case.visible and not case.passed and "cost: expected" in case.message
