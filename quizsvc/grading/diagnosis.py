"""Recognise known mistakes by comparing a failing submission's outputs with the outputs of
executable mistake variants, all computed on the trusted side from the same inputs."""

from __future__ import annotations

from dataclasses import dataclass

from quizsvc.grading.assignment import Assignment, Mistake
from quizsvc.grading.cases import Case, Verdict
from quizsvc.grading.runner import RunOutcome


@dataclass
class Explanation:
    mistake: Mistake
    explained: list[str]  # failing cases whose outputs match the variant's
    against: int  # cases where the variant fails but the submission does not look like it

    @property
    def strength(self) -> tuple[int, int]:
        return (len(self.explained) - self.against, len(self.explained))


def explain(assignment: Assignment, cases: list[Case], verdicts: dict[str, Verdict],
            outcome: RunOutcome) -> list[Explanation]:
    """Mistakes that explain at least one failing case, best first."""
    failing = [c for c in cases if not verdicts[c.name].passed]
    if not failing:
        return []
    expected = assignment.expected
    # The submission's own verdicts are the judges' verdicts unless loading failed.
    mine = {} if outcome.load_error else verdicts
    found = []
    for order, mistake in enumerate(assignment.mistakes):
        variant = assignment.variant_outcome(mistake.key)
        theirs = assignment.variant_verdicts(mistake.key)
        explained = [c.name for c in failing
                     if c.matches(outcome, variant, expected, mine=mine.get(c.name),
                                  theirs=theirs[c.name])]
        if not explained:
            continue
        variant_fails = [c.name for c in cases if not theirs[c.name].passed]
        against = len(set(variant_fails) - set(explained))
        found.append((order, Explanation(mistake, explained, against)))
    found.sort(key=lambda item: (-item[1].strength[0], -item[1].strength[1], item[0]))
    return [e for _, e in found]
