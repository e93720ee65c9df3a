"""What numeric and vector items share: a key computed by ``reference/`` (with optional
per-student parameters) or a fixed ``answer`` typed by the instructor, and a tolerance."""

from __future__ import annotations

from typing import Any

from quizsvc.quiz import params as P
from quizsvc.quiz.base import MAX_ANSWER_ENTRIES, ItemSpec, QuestionType, Variant
from quizsvc.quiz.numbers import validate_tolerance


class ComputedType(QuestionType):
    def validate_computed(self, spec: ItemSpec) -> list[str]:
        cfg = spec.config
        if "compute" not in cfg and "answer" in cfg:
            return self.validate_fixed(spec)
        problems = P.validate_params(cfg.get("params"))
        problems += P.validate_compute(cfg.get("compute"), cfg.get("params"))
        problems += validate_tolerance(cfg.get("tolerance"))
        if problems:
            return problems
        names = set(cfg.get("params") or {})
        for lang in ("ko", "en"):
            unknown = P.placeholders(spec.prompt.get(lang, "")) - names
            if unknown:
                problems.append(f"prompt ({lang}) uses undefined parameters: {', '.join(sorted(unknown))}")
        problems += P.check_reproducible(cfg)
        if not problems:
            try:
                key = P.compute_key(cfg["compute"], P.draw_params(cfg.get("params") or {}, 0))
            except Exception as exc:  # a bank check reports any failure of the reference call
                return [f"compute failed: {type(exc).__name__}: {exc}"]
            problems += self.validate_key(key)
        return problems

    def validate_fixed(self, spec: ItemSpec) -> list[str]:
        cfg = spec.config
        problems = validate_tolerance(cfg.get("tolerance"))
        if cfg.get("params"):
            problems.append("params: a fixed answer is the same for everyone; "
                            "draw parameters only with compute")
        for lang in ("ko", "en"):
            if P.placeholders(spec.prompt.get(lang, "")):
                problems.append(f"prompt ({lang}) uses {{{{...}}}} parameters, which a fixed answer has none of")
        answer_problems = P.fixed_answer_problems(cfg["answer"], MAX_ANSWER_ENTRIES)
        return problems + (answer_problems or self.validate_fixed_key(cfg["answer"]))

    def validate_key(self, key: Any) -> list[str]:
        return []

    def validate_fixed_key(self, key: Any) -> list[str]:
        return []

    def prepare(self, spec: ItemSpec, seed: int, shuffle: bool = True) -> Variant:
        cfg = spec.config
        params = P.draw_params(cfg.get("params") or {}, seed) if cfg.get("params") else {}
        # a fixed answer, or a stored one that check_reproducible keeps equal to compute's
        key = P.compute_key(cfg["compute"], params) if params or "answer" not in cfg else cfg["answer"]
        prompt = {lang: P.substitute(text, params) for lang, text in spec.prompt.items()}
        return Variant(
            seed=seed,
            prompt=prompt,
            params={"tolerance": cfg["tolerance"], "values": params,
                    "partial_credit": bool(cfg.get("partial_credit", False))},
            key=key,
            key_display=P.format_value(key),
            input_hint=dict(cfg.get("input_hint") or {}),
        )
