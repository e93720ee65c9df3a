"""What single-choice and multi-select items share: options, validation, per-student order."""

from __future__ import annotations

from typing import Any

import numpy as np

from quizsvc.quiz.base import AnswerError, ItemSpec, QuestionType, Variant
from quizsvc.text import Text


def _text_ok(text: Any) -> bool:
    return isinstance(text, dict) and bool(str(text.get("ko", "")).strip()) and bool(
        str(text.get("en", "")).strip()
    )


class ChoiceType(QuestionType):
    @property
    def result_template(self) -> str:
        return "items/choice/result.html"  # the right options, as the student saw them

    def validate_options(self, spec: ItemSpec) -> list[str]:
        options = spec.config.get("options")
        if not isinstance(options, list) or len(options) < 2:
            return ["options: at least two options are needed"]
        problems = []
        ids = [o.get("id") if isinstance(o, dict) else None for o in options]
        for i, opt in enumerate(options):
            if not isinstance(opt, dict):
                problems.append(f"option {i + 1}: must be a mapping")
                continue
            if not isinstance(opt.get("id"), str) or not opt["id"]:
                problems.append(f"option {i + 1}: needs an id")
            if not _text_ok(opt.get("text")):
                problems.append(f"option {opt.get('id', i + 1)}: needs text in ko and en")
            if not isinstance(opt.get("correct", False), bool):
                problems.append(f"option {opt.get('id', i + 1)}: correct must be true or false")
        if len(set(ids)) != len(ids):
            problems.append("options: ids must be unique")
        return problems

    def correct_ids(self, spec_or_variant_config: dict[str, Any]) -> list[str]:
        return [o["id"] for o in spec_or_variant_config["options"] if o.get("correct")]

    def prepare(self, spec: ItemSpec, seed: int, shuffle: bool = True) -> Variant:
        options = list(spec.config["options"])
        order = list(range(len(options)))
        if shuffle and not spec.config.get("fixed_order", False):
            order = list(np.random.default_rng(seed).permutation(len(options)))
        shown = [{"id": options[i]["id"], "text": options[i]["text"]} for i in order]
        key = self.correct_ids(spec.config)
        return Variant(
            seed=seed,
            prompt=dict(spec.prompt),
            options=shown,
            key=key,
            key_display=", ".join(key),
        )

    def _ids(self, raw: Any, variant: Variant) -> list[str]:
        if raw is None or raw == "" or raw == []:
            raise AnswerError(Text(en="Choose an answer.", ko="답을 선택하세요."))
        values = raw if isinstance(raw, list) else [raw]
        valid = {o["id"] for o in variant.options}
        out = []
        for v in values:
            if not isinstance(v, str) or v not in valid:
                raise AnswerError(Text(en="That option does not exist.", ko="없는 선택지입니다."))
            if v not in out:
                out.append(v)
        return out
