"""The manifest (assignment.toml) and the known mistakes (mistakes.toml), validated."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(Strict):
    en: str = Field(min_length=1, max_length=4000)
    ko: str = Field(min_length=1, max_length=4000)


class ToleranceSpec(Strict):
    rtol: float = Field(ge=0, le=1)
    atol: float = Field(ge=0)


class FunctionEntry(Strict):
    name: str
    signature: str = Field(min_length=3, max_length=300)
    mutable: list[str] = Field(default_factory=list)  # parameters it may change in place
    new_arrays: bool = False  # its returned arrays must not share memory with its inputs

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError("must be a Python identifier")
        return value

    @model_validator(mode="after")
    def _signature_names_the_function(self) -> FunctionEntry:
        if not self.signature.startswith(self.name + "("):
            raise ValueError(f"signature must start with {self.name}(")
        return self


class Defaults(Strict):
    """Course settings an import starts from; each course may change them."""

    due_in_days: int = Field(default=28, ge=0, le=400)
    close_after_days: int = Field(default=7, ge=0, le=400)
    late_penalty_per_day: float = Field(default=0.0, ge=0, le=1)
    max_submissions: int = Field(default=0, ge=0, le=10000)  # 0: unlimited
    score_policy: Literal["best", "latest"] = "best"
    feedback: Literal["full", "scores", "after_due"] = "full"  # what students see of a grade


class CaseOverride(Strict):
    points: float | None = Field(default=None, ge=0, le=1000)
    hidden: bool | None = None
    tolerance: ToleranceSpec | None = None


class Manifest(Strict):
    format: Literal[1] = 1
    slug: str
    order: int = 0
    title: Bilingual
    shape_policy: Literal["lenient", "strict"] = "lenient"
    tolerance: ToleranceSpec = ToleranceSpec(rtol=1e-5, atol=1e-8)
    functions: list[FunctionEntry] = Field(min_length=1, max_length=20)
    defaults: Defaults = Defaults()
    cases: dict[str, CaseOverride] = Field(default_factory=dict)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("lower-case letters, digits and _ (starting with a letter), at most 48")
        return value

    @model_validator(mode="after")
    def _unique_functions(self) -> Manifest:
        names = [f.name for f in self.functions]
        if len(set(names)) != len(names):
            raise ValueError("a function is listed twice")
        return self


class MistakeEntry(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    title: Bilingual
    hint: Bilingual
    base: str | None = None  # a file under solutions/ the patches apply to
    patches: list[tuple[str, str]] = Field(default_factory=list)
    file: str | None = None  # or a complete variant under mistakes/

    @model_validator(mode="after")
    def _one_source(self) -> MistakeEntry:
        if (self.file is None) == (self.base is None):
            raise ValueError("give either base (with patches) or file")
        if self.base is not None and not self.patches:
            raise ValueError("base needs at least one patch")
        return self


class Mistakes(Strict):
    mistake: list[MistakeEntry] = Field(default_factory=list, max_length=60)

    @model_validator(mode="after")
    def _unique_keys(self) -> Mistakes:
        keys = [m.key for m in self.mistake]
        if len(set(keys)) != len(keys):
            raise ValueError("a mistake key is used twice")
        return self
