"""Building DSPy modules for a request and converting their inputs and outputs to and from JSON values."""

from __future__ import annotations

import enum
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Any

import dspy
import pydantic

from dspy_service.errors import INVALID_INPUTS, INVALID_PROGRAM, INVALID_SIGNATURE, ServiceError
from dspy_service.modules import MODULES, ModuleOptionsInput, module_settings
from dspy_service.named_programs import NAMED_PROGRAMS
from dspy_service.signatures import (
    SignatureError,
    StructuredSignatureDef,
    build_signature,
    build_structured_signature,
)
from dspy_service.state import load_program_state
from dspy_service.tools import BUILTIN_TOOLS

MAX_INPUT_BYTES = 256 * 1024


@dataclass(frozen=True)
class AdHocProgramSpec:
    signature: str = ""
    module: str = "predict"
    instructions: str = ""
    structured: StructuredSignatureDef | None = None
    options: ModuleOptionsInput = field(default_factory=ModuleOptionsInput)


@dataclass(frozen=True)
class NamedProgramSpec:
    name: str
    version: str = "latest"


ProgramSpec = AdHocProgramSpec | NamedProgramSpec


@dataclass(frozen=True)
class BuiltProgram:
    module: dspy.Module
    signature: type[dspy.Signature]
    """The user's signature (without module-added fields such as ``reasoning``), used to validate inputs."""
    output_names: tuple[str, ...] | None = None
    """The output fields a result carries; None = the last predictor's output fields."""
    streams: bool = False
    """Whether the program makes a single LM call whose output fields can be streamed as they are generated."""
    description: str = ""


def _ad_hoc_signature(spec: AdHocProgramSpec) -> type[dspy.Signature]:
    try:
        if spec.structured is not None and spec.signature.strip():
            raise SignatureError("give either `signature` or `structured_signature`, not both")
        if spec.structured is not None:
            return build_structured_signature(spec.structured, spec.instructions)
        return build_signature(spec.signature, spec.instructions)
    except SignatureError as exc:
        raise ServiceError(INVALID_SIGNATURE, f"invalid signature: {exc}") from None


def _tools(names: tuple[str, ...], extra_tools: dict[str, dspy.Tool]) -> list[dspy.Tool]:
    tools: list[dspy.Tool] = []
    for name in names:
        if name in BUILTIN_TOOLS:
            tools.append(BUILTIN_TOOLS[name].as_dspy_tool())
        elif name in extra_tools:
            tools.append(extra_tools[name])
        else:
            offered = ", ".join(sorted([*BUILTIN_TOOLS, *extra_tools]))
            raise ServiceError(INVALID_PROGRAM, f"unknown tool {name!r}; offered: {offered}")
    return tools


def build_program(
    spec: ProgramSpec | None, state_json: str = "", extra_tools: dict[str, dspy.Tool] | None = None
) -> BuiltProgram:
    """A fresh program for ``spec``, with a compiled version's JSON state applied when one is given."""
    if spec is None:
        raise ServiceError(INVALID_PROGRAM, "the request names no program")
    if isinstance(spec, NamedProgramSpec):
        named = NAMED_PROGRAMS.get(spec.name.strip())
        if named is None:
            offered = ", ".join(sorted(NAMED_PROGRAMS))
            raise ServiceError(INVALID_PROGRAM, f"unknown program {spec.name!r}; offered: {offered}")
        built = BuiltProgram(
            module=named.factory(),
            signature=named.signature,
            output_names=tuple(f.name for f in named.outputs()),
            streams=named.module in ("predict", "chain_of_thought"),
            description=f"named:{named.name}",
        )
    else:
        module_def = MODULES.get(spec.module.strip().lower())
        if module_def is None:
            offered = ", ".join(sorted(MODULES))
            raise ServiceError(INVALID_PROGRAM, f"unknown module {spec.module!r}; offered: {offered}")
        signature = _ad_hoc_signature(spec)
        settings = module_settings(module_def, spec.options)
        tools = _tools(settings.tools, extra_tools or {})
        try:
            module = module_def.build(signature, settings, tools)
        except ServiceError:
            raise
        except (TypeError, ValueError, AssertionError) as exc:
            raise ServiceError(INVALID_PROGRAM, f"module {module_def.name!r} rejected the signature") from exc
        built = BuiltProgram(
            module=module, signature=signature, streams=module_def.streams, description=f"module:{module_def.name}"
        )
    if state_json.strip():
        load_program_state(built.module, state_json)
    return built


def _allows_none(annotation: Any) -> bool:
    return annotation is None or type(None) in typing.get_args(annotation)


def validate_inputs(signature: type[dspy.Signature], inputs: dict[str, Any]) -> dict[str, Any]:
    """Check that ``inputs`` match the signature's input fields and coerce them to the declared types."""
    size = len(json.dumps(inputs, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_INPUT_BYTES:
        raise ServiceError(INVALID_INPUTS, f"the inputs exceed {MAX_INPUT_BYTES} bytes")
    fields = signature.input_fields
    unknown = sorted(set(inputs) - set(fields))
    if unknown:
        raise ServiceError(INVALID_INPUTS, f"unknown input field(s): {', '.join(unknown)}")
    missing = [name for name, f in fields.items() if name not in inputs and not _allows_none(f.annotation)]
    if missing:
        raise ServiceError(INVALID_INPUTS, f"missing input field(s): {', '.join(missing)}")
    coerced: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in inputs:
            continue
        value = inputs[name]
        annotation = f.annotation
        if annotation is str and not isinstance(value, str):
            # An untyped (str) field given a number or structure: pass its JSON text, as a client would expect.
            coerced[name] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            continue
        try:
            coerced[name] = pydantic.TypeAdapter(annotation).validate_python(value)
        except pydantic.ValidationError:
            type_name = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
            raise ServiceError(INVALID_INPUTS, f"input field {name!r} is not a valid {type_name}") from None
    return coerced


def to_json_value(value: Any) -> Any:
    """A JSON-safe (google.protobuf.Struct-compatible) rendering of an output value."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return to_json_value(value.value)
    if isinstance(value, pydantic.BaseModel):
        return to_json_value(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json_value(v) for v in value]
    return str(value)


def prediction_outputs(prediction: dspy.Prediction, built: BuiltProgram) -> dict[str, Any]:
    """The program's output fields (by default its final predictor's: ChainOfThought includes ``reasoning``)."""
    if built.output_names is not None:
        names = list(built.output_names)
    else:
        predictors = built.module.predictors()
        names = list(predictors[-1].signature.output_fields) if predictors else list(prediction.keys())
    return {name: to_json_value(prediction.get(name)) for name in names if name in prediction}
