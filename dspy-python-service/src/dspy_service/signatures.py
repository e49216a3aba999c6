"""Safe parsing of DSPy string signatures received over the network.

``dspy.Signature("...")`` resolves unknown type names by importing modules and by searching the caller's stack frames,
which is not acceptable for text that comes from a client. This module parses the same string syntax
(``"question: str, context: list[str] -> answer: str, confidence: float"``) with :mod:`ast` (which never executes
anything) and resolves annotations against a closed set of types, then builds the signature from explicit fields.

Supported annotations:

* inputs: ``str``, ``int``, ``float``, ``bool``, ``list[T]``, ``dict[str, T]``, ``Literal[...]``, ``Optional[T]`` /
  ``T | None`` (nested freely);
* outputs: ``str``, ``int``, ``float``, ``bool``, ``Literal[...]`` of str/int/bool labels and
  ``list[str|int|float|bool]`` — the shapes the local model's constrained decoding can produce.
"""

from __future__ import annotations

import ast
import keyword
import typing
from dataclasses import dataclass
from typing import Any, Literal

import dspy

MAX_SIGNATURE_BYTES = 4 * 1024
MAX_INSTRUCTIONS_BYTES = 16 * 1024
MAX_FIELDS = 64
MAX_FIELD_NAME_LENGTH = 64
MAX_LITERAL_LABELS = 64
MAX_TYPE_DEPTH = 4
# The ChatAdapter uses "completed" as its end marker; DSPy adds "reasoning" for ChainOfThought.
RESERVED_OUTPUT_NAMES = frozenset({"completed"})

_SCALARS: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}


class SignatureError(ValueError):
    """The signature string cannot be parsed or uses something this service does not support."""


@dataclass(frozen=True)
class ParsedField:
    name: str
    annotation: Any
    explicit_type: bool


@dataclass(frozen=True)
class ParsedSignature:
    inputs: tuple[ParsedField, ...]
    outputs: tuple[ParsedField, ...]


def _is_none(node: ast.expr) -> bool:
    return (isinstance(node, ast.Constant) and node.value is None) or (
        isinstance(node, ast.Name) and node.id in {"None", "NoneType"}
    )


def _subscript_args(node: ast.Subscript) -> list[ast.expr]:
    return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]


def _literal_labels(args: list[ast.expr]) -> tuple[Any, ...]:
    labels: list[Any] = []
    for arg in args:
        if not isinstance(arg, ast.Constant) or not isinstance(arg.value, str | int | bool) or arg.value is None:
            raise SignatureError("Literal[...] labels must be string, integer or boolean constants")
        if isinstance(arg.value, str) and (not arg.value.strip() or "\n" in arg.value or "[[" in arg.value):
            raise SignatureError("Literal[...] labels must be non-empty single-line strings")
        labels.append(arg.value)
    if not labels or len(labels) > MAX_LITERAL_LABELS:
        raise SignatureError(f"Literal[...] needs between 1 and {MAX_LITERAL_LABELS} labels")
    return tuple(dict.fromkeys(labels))


def _resolve(node: ast.expr, depth: int = 0) -> Any:
    """Resolve an annotation node against the closed set of supported types."""
    if depth > MAX_TYPE_DEPTH:
        raise SignatureError("type annotations are nested too deeply")
    if isinstance(node, ast.Name):
        if node.id in _SCALARS:
            return _SCALARS[node.id]
        raise SignatureError(f"unsupported type {node.id!r}")
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "typing":
        return _resolve(ast.Name(id=node.attr), depth)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if _is_none(node.right):
            return typing.Optional[_resolve(node.left, depth + 1)]  # noqa: UP045 - built at runtime
        if _is_none(node.left):
            return typing.Optional[_resolve(node.right, depth + 1)]  # noqa: UP045
        raise SignatureError("unions other than `T | None` are not supported")
    if isinstance(node, ast.Subscript):
        base = node.value
        base_name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else None
        args = _subscript_args(node)
        if base_name == "Literal":
            return Literal[_literal_labels(args)]  # type: ignore[valid-type]
        if base_name in {"list", "List"}:
            if len(args) != 1:
                raise SignatureError("list[...] takes exactly one type")
            return list[_resolve(args[0], depth + 1)]  # type: ignore[misc]
        if base_name in {"dict", "Dict"}:
            if len(args) != 2 or not (isinstance(args[0], ast.Name) and args[0].id == "str"):
                raise SignatureError("dict[...] must be dict[str, T]")
            return dict[str, _resolve(args[1], depth + 1)]  # type: ignore[misc]
        if base_name == "Optional":
            if len(args) != 1:
                raise SignatureError("Optional[...] takes exactly one type")
            return typing.Optional[_resolve(args[0], depth + 1)]  # noqa: UP045
        raise SignatureError(f"unsupported generic type {base_name!r}")
    raise SignatureError("unsupported type annotation")


def _is_output_type(annotation: Any) -> bool:
    if annotation in (str, int, float, bool):
        return True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return True
    if origin is list:
        (item,) = typing.get_args(annotation)
        return item in (str, int, float, bool)
    return False


def _parse_side(text: str, side: str) -> list[ParsedField]:
    text = text.strip()
    if not text:
        raise SignatureError(f"the signature has no {side} fields")
    try:
        module = ast.parse(f"def f({text}): pass", mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise SignatureError(f"cannot parse the {side} fields") from exc
    if len(module.body) != 1 or not isinstance(module.body[0], ast.FunctionDef):
        raise SignatureError(f"cannot parse the {side} fields")
    arguments = module.body[0].args
    if (
        arguments.posonlyargs
        or arguments.vararg
        or arguments.kwonlyargs
        or arguments.kwarg
        or arguments.defaults
        or arguments.kw_defaults
    ):
        raise SignatureError(f"the {side} fields must be plain `name` or `name: type` entries")
    fields: list[ParsedField] = []
    for arg in arguments.args:
        name = arg.arg
        if name.startswith("_") or keyword.iskeyword(name) or len(name) > MAX_FIELD_NAME_LENGTH:
            raise SignatureError(f"invalid field name {name!r}")
        if arg.annotation is None:
            fields.append(ParsedField(name, str, False))
        else:
            fields.append(ParsedField(name, _resolve(arg.annotation), True))
    return fields


def parse_signature(signature: str) -> ParsedSignature:
    """Parse ``"inputs -> outputs"`` without executing or importing anything."""
    if not signature or not signature.strip():
        raise SignatureError("the signature is empty")
    if len(signature.encode("utf-8")) > MAX_SIGNATURE_BYTES:
        raise SignatureError(f"the signature exceeds {MAX_SIGNATURE_BYTES} bytes")
    if signature.count("->") != 1:
        raise SignatureError("the signature must contain exactly one '->'")
    inputs_text, outputs_text = signature.split("->")
    inputs = _parse_side(inputs_text, "input")
    outputs = _parse_side(outputs_text, "output")
    names = [f.name for f in inputs + outputs]
    if len(names) > MAX_FIELDS:
        raise SignatureError(f"the signature has more than {MAX_FIELDS} fields")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SignatureError(f"duplicate field names: {', '.join(duplicates)}")
    for f in outputs:
        if f.name in RESERVED_OUTPUT_NAMES:
            raise SignatureError(f"{f.name!r} is reserved and cannot be an output field")
        if not _is_output_type(f.annotation):
            raise SignatureError(
                f"output field {f.name!r} has an unsupported type; outputs may be str, int, float, bool, "
                "Literal[...] or list[str|int|float|bool]"
            )
    return ParsedSignature(tuple(inputs), tuple(outputs))


def build_signature(signature: str, instructions: str = "") -> type[dspy.Signature]:
    """A DSPy signature class for a client-supplied signature string and optional instructions."""
    if len(instructions.encode("utf-8")) > MAX_INSTRUCTIONS_BYTES:
        raise SignatureError(f"the instructions exceed {MAX_INSTRUCTIONS_BYTES} bytes")
    parsed = parse_signature(signature)
    fields: dict[str, tuple[Any, Any]] = {}
    for f in parsed.inputs:
        # IS_TYPE_UNDEFINED mirrors DSPy's own string parser (untyped inputs are rendered without a type).
        fields[f.name] = (f.annotation, dspy.InputField(IS_TYPE_UNDEFINED=not f.explicit_type))
    for f in parsed.outputs:
        fields[f.name] = (f.annotation, dspy.OutputField())
    try:
        return dspy.Signature(fields, instructions.strip() or None)
    except (TypeError, ValueError) as exc:
        raise SignatureError("the signature was rejected by DSPy") from exc


# --- Structured signatures (fields given one by one, with descriptions) ---------------------------------------------

FIELD_TYPES: tuple[str, ...] = (
    "str",
    "int",
    "float",
    "bool",
    "list[str]",
    "list[int]",
    "list[float]",
    "list[bool]",
    "enum",
)
MAX_DESCRIPTION_BYTES = 1024
_FIELD_TYPE_ANNOTATIONS: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list[str]": list[str],
    "list[int]": list[int],
    "list[float]": list[float],
    "list[bool]": list[bool],
}


@dataclass(frozen=True)
class FieldDef:
    """One field of a structured signature, as received (validated by :func:`build_structured_signature`)."""

    name: str
    type: str = "str"
    description: str = ""
    enum_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class StructuredSignatureDef:
    inputs: tuple[FieldDef, ...]
    outputs: tuple[FieldDef, ...]
    instructions: str = ""


def _check_name(name: str) -> None:
    if (
        not name
        or not name.isidentifier()
        or not name.isascii()
        or name.startswith("_")
        or keyword.iskeyword(name)
        or len(name) > MAX_FIELD_NAME_LENGTH
    ):
        raise SignatureError(f"invalid field name {name[:MAX_FIELD_NAME_LENGTH]!r}")


def _field_annotation(field_def: FieldDef) -> Any:
    type_name = (field_def.type or "str").strip().replace(" ", "")
    if type_name == "enum":
        labels = field_def.enum_values
        if not labels or len(labels) > MAX_LITERAL_LABELS:
            raise SignatureError(f"enum field {field_def.name!r} needs between 1 and {MAX_LITERAL_LABELS} enum_values")
        for label in labels:
            if not label.strip() or "\n" in label or "\r" in label or "[[" in label or len(label) > 200:
                raise SignatureError(f"enum field {field_def.name!r} has an invalid label")
        return Literal[tuple(dict.fromkeys(labels))]  # type: ignore[valid-type]
    if field_def.enum_values:
        raise SignatureError(f"field {field_def.name!r}: enum_values are only allowed with type 'enum'")
    annotation = _FIELD_TYPE_ANNOTATIONS.get(type_name)
    if annotation is None:
        raise SignatureError(
            f"field {field_def.name!r} has unsupported type {field_def.type[:40]!r}; "
            f"use one of {', '.join(FIELD_TYPES)}"
        )
    return annotation


def build_structured_signature(spec: StructuredSignatureDef, instructions: str = "") -> type[dspy.Signature]:
    """A DSPy signature class from explicit fields; every problem is a :class:`SignatureError`."""
    text = spec.instructions.strip() or instructions.strip()
    if len(text.encode("utf-8")) > MAX_INSTRUCTIONS_BYTES:
        raise SignatureError(f"the instructions exceed {MAX_INSTRUCTIONS_BYTES} bytes")
    if not spec.inputs:
        raise SignatureError("the signature has no input fields")
    if not spec.outputs:
        raise SignatureError("the signature has no output fields")
    if len(spec.inputs) + len(spec.outputs) > MAX_FIELDS:
        raise SignatureError(f"the signature has more than {MAX_FIELDS} fields")
    names = [f.name for f in (*spec.inputs, *spec.outputs)]
    for name in names:
        _check_name(name)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SignatureError(f"duplicate field names: {', '.join(duplicates)}")
    fields: dict[str, tuple[Any, Any]] = {}
    for side, defs in (("input", spec.inputs), ("output", spec.outputs)):
        for f in defs:
            if len(f.description.encode("utf-8")) > MAX_DESCRIPTION_BYTES:
                raise SignatureError(f"the description of field {f.name!r} exceeds {MAX_DESCRIPTION_BYTES} bytes")
            if side == "output" and f.name in RESERVED_OUTPUT_NAMES:
                raise SignatureError(f"{f.name!r} is reserved and cannot be an output field")
            annotation = _field_annotation(f)
            kwargs: dict[str, Any] = {"desc": f.description.strip()} if f.description.strip() else {}
            fields[f.name] = (annotation, dspy.InputField(**kwargs) if side == "input" else dspy.OutputField(**kwargs))
    try:
        return dspy.Signature(fields, text or None)
    except (TypeError, ValueError) as exc:
        raise SignatureError("the signature was rejected by DSPy") from exc


def type_name(annotation: Any) -> str:
    """The catalog name of a field type (``FIELD_TYPES``), for describing signatures to clients."""
    if typing.get_origin(annotation) is Literal:
        return "enum"
    for name, known in _FIELD_TYPE_ANNOTATIONS.items():
        if annotation == known:
            return name
    return str(annotation).replace("typing.", "")
