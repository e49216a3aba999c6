"""Building DSPy modules for a request and converting their inputs and outputs to and from JSON values."""

from __future__ import annotations

import enum
import json
import math
import typing
from dataclasses import dataclass
from typing import Any

import dspy
import pydantic

from dspy_service.errors import INVALID_INPUTS, INVALID_PROGRAM, INVALID_SIGNATURE, ServiceError
from dspy_service.signatures import SignatureError, build_signature

MAX_INPUT_BYTES = 256 * 1024

MODULES: dict[str, type[dspy.Module]] = {
    "predict": dspy.Predict,
    "chain_of_thought": dspy.ChainOfThought,
}


@dataclass(frozen=True)
class AdHocProgramSpec:
    signature: str
    module: str
    instructions: str = ""


@dataclass(frozen=True)
class NamedProgramSpec:
    name: str
    version: str = "latest"


ProgramSpec = AdHocProgramSpec | NamedProgramSpec


@dataclass(frozen=True)
class BuiltProgram:
    module: dspy.Module
    signature: type[dspy.Signature]
    """The user's signature (without ChainOfThought's ``reasoning``), used to validate inputs."""


def build_program(spec: ProgramSpec | None) -> BuiltProgram:
    if spec is None:
        raise ServiceError(INVALID_PROGRAM, "the request names no program")
    if isinstance(spec, NamedProgramSpec):
        raise ServiceError(INVALID_PROGRAM, f"unknown program {spec.name!r}")
    module_name = spec.module.strip().lower()
    module_cls = MODULES.get(module_name)
    if module_cls is None:
        offered = ", ".join(sorted(MODULES))
        raise ServiceError(INVALID_PROGRAM, f"unknown module {spec.module!r}; offered: {offered}")
    try:
        signature = build_signature(spec.signature, spec.instructions)
    except SignatureError as exc:
        raise ServiceError(INVALID_SIGNATURE, f"invalid signature: {exc}") from None
    return BuiltProgram(module=module_cls(signature), signature=signature)


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


def prediction_outputs(prediction: dspy.Prediction, module: dspy.Module) -> dict[str, Any]:
    """The output fields of the program's final predictor (ChainOfThought includes ``reasoning``), JSON-safe."""
    predictors = module.predictors()
    names = list(predictors[-1].signature.output_fields) if predictors else list(prediction.keys())
    return {name: to_json_value(prediction.get(name)) for name in names if name in prediction}
