"""The DSPy modules an ad-hoc program may use, with their options (``ModuleOptions`` in the contract)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dspy

from dspy_service.errors import INVALID_PROGRAM, ServiceError


@dataclass(frozen=True)
class ParamDef:
    """A bounded parameter of a module or an optimizer (listed in the catalog)."""

    name: str
    type: str  # "int" | "float" | "bool" | "str"
    description: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()

    def validate(self, value: Any, owner: str, kind: Any = INVALID_PROGRAM) -> Any:
        where = f"{owner} parameter {self.name!r}"
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ServiceError(kind, f"{where} must be true or false")
            return value
        if self.type == "str":
            if not isinstance(value, str) or (self.allowed and value not in self.allowed):
                allowed = f" (one of {', '.join(self.allowed)})" if self.allowed else ""
                raise ServiceError(kind, f"{where} must be a string{allowed}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ServiceError(kind, f"{where} must be a number")
        if self.type == "int":
            if int(value) != value:
                raise ServiceError(kind, f"{where} must be an integer")
            value = int(value)
        else:
            value = float(value)
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            raise ServiceError(kind, f"{where} must be between {self.minimum:g} and {self.maximum:g}")
        return value


@dataclass(frozen=True)
class ModuleSettings:
    n: int = 3
    tools: tuple[str, ...] = ()
    max_iters: int = 5
    threshold: float = 1.0


def outputs_present_reward(output_names: Sequence[str]) -> Callable[[dict[str, Any], dspy.Prediction], float]:
    """BestOfN/Refine reward: the share of the signature's output fields that are present and non-empty."""
    names = tuple(output_names)

    def reward(args: dict[str, Any], prediction: dspy.Prediction) -> float:
        present = 0
        for name in names:
            value = prediction.get(name)
            if value is not None and (not isinstance(value, str | list | dict) or len(value) > 0):
                present += 1
        return present / max(1, len(names))

    return reward


class MultiChainProgram(dspy.Module):
    """``n`` ChainOfThought attempts (distinct rollouts), then ``dspy.MultiChainComparison`` picks the answer."""

    def __init__(self, signature: type[dspy.Signature], m: int = 3) -> None:
        super().__init__()
        self.m = m
        self.generate = dspy.ChainOfThought(signature)
        self.compare = dspy.MultiChainComparison(signature, M=m)

    def forward(self, **inputs: Any) -> dspy.Prediction:
        completions = [
            self.generate(**inputs, config={"rollout_id": index, "temperature": 0.7}) for index in range(self.m)
        ]
        return self.compare(completions=completions, **inputs)


BuildFn = Callable[[type[dspy.Signature], ModuleSettings, list[dspy.Tool]], dspy.Module]


@dataclass(frozen=True)
class ModuleDef:
    name: str
    description: str
    build: BuildFn
    options: tuple[ParamDef, ...] = ()
    added_outputs: tuple[str, ...] = ()
    streams: bool = False
    uses_tools: bool = False


_N_BEST = ParamDef("n", "int", "number of attempts", 3, 1, 8)
_THRESHOLD = ParamDef("threshold", "float", "reward (share of non-empty output fields) that stops early", 1.0, 0, 1)


def _best_of_n(signature: type[dspy.Signature], s: ModuleSettings, tools: list[dspy.Tool]) -> dspy.Module:
    reward = outputs_present_reward(list(signature.output_fields))
    return dspy.BestOfN(dspy.Predict(signature), N=s.n, reward_fn=reward, threshold=s.threshold)


def _refine(signature: type[dspy.Signature], s: ModuleSettings, tools: list[dspy.Tool]) -> dspy.Module:
    reward = outputs_present_reward(list(signature.output_fields))
    return dspy.Refine(dspy.Predict(signature), N=s.n, reward_fn=reward, threshold=s.threshold)


def _react(signature: type[dspy.Signature], s: ModuleSettings, tools: list[dspy.Tool]) -> dspy.Module:
    if not tools:
        raise ServiceError(INVALID_PROGRAM, "module 'react' needs at least one tool in module_options.tools")
    return dspy.ReAct(signature, tools=tools, max_iters=s.max_iters)


MODULES: dict[str, ModuleDef] = {
    m.name: m
    for m in (
        ModuleDef(
            "predict",
            "dspy.Predict: one LM call from inputs to outputs.",
            lambda sig, s, t: dspy.Predict(sig),
            streams=True,
        ),
        ModuleDef(
            "chain_of_thought",
            "dspy.ChainOfThought: reasons step by step (adds `reasoning`) before the outputs.",
            lambda sig, s, t: dspy.ChainOfThought(sig),
            added_outputs=("reasoning",),
            streams=True,
        ),
        ModuleDef(
            "react",
            "dspy.ReAct: a reasoning/acting agent calling tools (built-in or caller-side) before answering.",
            _react,
            options=(
                ParamDef("tools", "str", "tool names (Catalog.tools or ExecuteRequest.caller_tools); a list"),
                ParamDef("max_iters", "int", "maximum tool iterations", 5, 1, 10),
            ),
            added_outputs=("reasoning",),
            uses_tools=True,
        ),
        ModuleDef(
            "best_of_n",
            "dspy.BestOfN over dspy.Predict: up to n attempts (distinct rollouts), keeps the best by reward.",
            _best_of_n,
            options=(_N_BEST, _THRESHOLD),
        ),
        ModuleDef(
            "refine",
            "dspy.Refine over dspy.Predict: up to n attempts, with LM-written feedback between attempts.",
            _refine,
            options=(_N_BEST, _THRESHOLD),
        ),
        ModuleDef(
            "multi_chain_comparison",
            "n ChainOfThought attempts compared by dspy.MultiChainComparison (adds `rationale`).",
            lambda sig, s, t: MultiChainProgram(sig, m=s.n),
            options=(ParamDef("n", "int", "number of reasoning chains compared", 3, 2, 5),),
            added_outputs=("rationale",),
        ),
    )
}


@dataclass(frozen=True)
class ModuleOptionsInput:
    """ModuleOptions as received (0 / empty = unset)."""

    n: int = 0
    tools: tuple[str, ...] = ()
    max_iters: int = 0
    threshold: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def module_settings(module: ModuleDef, raw: ModuleOptionsInput) -> ModuleSettings:
    """Validated settings for ``module`` (defaults from its option definitions)."""
    options = {p.name: p for p in module.options}
    values: dict[str, Any] = {}
    for name, given in (("n", raw.n or None), ("max_iters", raw.max_iters or None), ("threshold", raw.threshold)):
        if given is None:
            if name in options:
                values[name] = options[name].default
            continue
        if name not in options:
            raise ServiceError(INVALID_PROGRAM, f"module {module.name!r} has no option {name!r}")
        values[name] = options[name].validate(given, f"module {module.name!r}")
    if raw.tools and not module.uses_tools:
        raise ServiceError(INVALID_PROGRAM, f"module {module.name!r} takes no tools")
    if len(raw.tools) > 16:
        raise ServiceError(INVALID_PROGRAM, "at most 16 tools")
    return ModuleSettings(tools=tuple(dict.fromkeys(raw.tools)), **values)
