"""GBNF grammars that force a local model to answer in exactly DSPy's ChatAdapter output format.

For the output fields of a signature, in order, the grammar accepts::

    [[ ## <field> ## ]]
    <value>

    [[ ## <next field> ## ]]
    <value>

    [[ ## completed ## ]]

and nothing else. Every value is bounded, so the longest text the grammar accepts is known (``GrammarPlan.max_chars``).
Every token a model emits under a grammar contributes at least one byte, so the generation always ends well within
the token budget for the ASCII-dominated output the limits are sized for: the budget is spent on the values, not lost
to a truncated answer that DSPy cannot parse.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass
from typing import Any, Literal

ValueKind = Literal["str", "int", "float", "bool", "literal", "list", "object"]
ScalarKind = Literal["str", "int", "float", "bool"]

# Upper bounds per value when the token budget allows them.
STR_MAX_CHARS = 400
STR_MIN_CHARS = 8
LIST_MAX_ITEMS = 16
LIST_STR_ITEM_MAX_CHARS = 48
LIST_STR_ITEM_MIN_CHARS = 4

INT_MAX_CHARS = 19  # "-" + 18 digits
FLOAT_MAX_CHARS = 23  # "-" + 15 digits + "." + 6 digits
BOOL_MAX_CHARS = 5  # "False"
_SCALAR_MAX_CHARS = {"int": INT_MAX_CHARS, "float": FLOAT_MAX_CHARS, "bool": BOOL_MAX_CHARS}

# Objects (tool arguments): up to 4 keys of <= 24 characters, values: strings <= 80 characters, numbers or booleans.
OBJECT_MAX_KEYS = 4
OBJECT_KEY_MAX_CHARS = 24
OBJECT_STR_MAX_CHARS = 80
OBJECT_MAX_CHARS = (
    2 + OBJECT_MAX_KEYS * (OBJECT_KEY_MAX_CHARS + 4 + OBJECT_STR_MAX_CHARS + 2) + (OBJECT_MAX_KEYS - 1) * 2
)

COMPLETED_MARKER = "[[ ## completed ## ]]"
FIELD_SEPARATOR = "\n\n"


class UnsupportedOutputTypeError(TypeError):
    """An output annotation has no grammar (the signature parser rejects these up front)."""


class GrammarBudgetError(ValueError):
    """The token budget is too small for the signature's output fields."""


@dataclass(frozen=True)
class ValueSpec:
    kind: ValueKind
    labels: tuple[str, ...] = ()  # literal: the exact texts the model may produce
    item: ScalarKind | None = None  # list: the item type


OutputSpec = tuple[tuple[str, ValueSpec], ...]


@dataclass(frozen=True)
class GrammarPlan:
    text: str
    max_chars: int


def literal_label_text(label: object) -> str:
    """How a Literal label is written so that DSPy's ``parse_value`` maps it back to the label."""
    return str(label)


def value_spec(annotation: Any) -> ValueSpec:
    if annotation is str:
        return ValueSpec("str")
    if annotation is bool:
        return ValueSpec("bool")
    if annotation is int:
        return ValueSpec("int")
    if annotation is float:
        return ValueSpec("float")
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return ValueSpec(
            "literal", labels=tuple(dict.fromkeys(literal_label_text(a) for a in typing.get_args(annotation)))
        )
    if origin is dict:
        # e.g. ReAct's ``next_tool_args: dict[str, Any]``: a small flat JSON object.
        return ValueSpec("object")
    if origin is list:
        args = typing.get_args(annotation)
        item = args[0] if args else str
        for kind in ("str", "int", "float", "bool"):
            if item is {"str": str, "int": int, "float": float, "bool": bool}[kind]:
                return ValueSpec("list", item=kind)  # type: ignore[arg-type]
    raise UnsupportedOutputTypeError(f"no grammar for output type {annotation!r}")


def output_spec(output_fields: dict[str, Any]) -> OutputSpec:
    """The grammar-relevant description of a signature's output fields (``signature.output_fields``), in order."""
    return tuple((name, value_spec(field.annotation)) for name, field in output_fields.items())


def _gbnf_string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _header(name: str) -> str:
    return f"[[ ## {name} ## ]]\n"


@dataclass(frozen=True)
class _Bounds:
    str_chars: int = STR_MAX_CHARS
    list_items: int = LIST_MAX_ITEMS
    list_str_chars: int = LIST_STR_ITEM_MAX_CHARS


def _list_item_max(item: ScalarKind, bounds: _Bounds) -> int:
    return bounds.list_str_chars + 2 if item == "str" else _SCALAR_MAX_CHARS[item]


def _value_max(spec: ValueSpec, bounds: _Bounds) -> int:
    if spec.kind == "str":
        return bounds.str_chars
    if spec.kind == "literal":
        return max(len(label) for label in spec.labels)
    if spec.kind == "list":
        assert spec.item is not None
        return 2 + bounds.list_items * _list_item_max(spec.item, bounds) + (bounds.list_items - 1) * 2
    if spec.kind == "object":
        return OBJECT_MAX_CHARS
    return _SCALAR_MAX_CHARS[spec.kind]


def _layout_chars(spec: OutputSpec) -> int:
    headers = sum(len(_header(name)) for name, _ in spec)
    return headers + len(FIELD_SEPARATOR) * len(spec) + len(COMPLETED_MARKER)


def _total(spec: OutputSpec, bounds: _Bounds) -> int:
    return _layout_chars(spec) + sum(_value_max(v, bounds) for _, v in spec)


def _fit_bounds(spec: OutputSpec, budget: int) -> _Bounds:
    """The largest value bounds (up to the defaults) whose longest accepted text fits ``budget`` characters."""
    bounds = _Bounds()
    if _total(spec, bounds) <= budget:
        return bounds
    elastic = [v for _, v in spec if v.kind in ("str", "list")]
    fixed = _layout_chars(spec) + sum(_value_max(v, bounds) for _, v in spec if v.kind not in ("str", "list"))
    share = (budget - fixed) // max(1, len(elastic))
    str_chars = max(STR_MIN_CHARS, min(STR_MAX_CHARS, share))
    list_str_chars = max(LIST_STR_ITEM_MIN_CHARS, min(LIST_STR_ITEM_MAX_CHARS, share // 4 - 4))
    item_widths = [_list_item_max(v.item, _Bounds(list_str_chars=list_str_chars)) + 2 for v in elastic if v.item]
    widest = max(item_widths, default=1)
    list_items = max(1, min(LIST_MAX_ITEMS, (share - 2) // widest))
    bounds = _Bounds(str_chars=str_chars, list_items=list_items, list_str_chars=list_str_chars)
    if _total(spec, bounds) > budget:
        raise GrammarBudgetError(
            f"max_tokens={budget} is too small for {len(spec)} output field(s); "
            f"at least {_total(spec, bounds)} are needed"
        )
    return bounds


# A value starts with a letter, digit, quote, "(" or sign -- never whitespace, "[" (headers start with "[["), "{" (an
# echo of the prompt's "{field}" placeholders) or markdown debris such as "#", "`" or "*".
_STR_FIRST = r"""([A-Za-z0-9] | [^\x00-\x7F] | ["'(+\-$])"""
_STR_REST = r"[^\x5B\n\r]"
_JSON_STR_CHAR = r"[^\x22\x5C\x5B\n\r]"  # no quote, backslash, "[" or newline: no escapes needed
_SCALAR_RULES = {
    "int": r'"-"? ("0" | [1-9] [0-9]{0,17})',
    "float": r'"-"? ("0" | [1-9] [0-9]{0,14}) ("." [0-9]{1,6})?',
    "bool": r'"True" | "False"',
}


_OBJECT_KEY = f'"\\"" [A-Za-z_] [A-Za-z0-9_]{{0,{OBJECT_KEY_MAX_CHARS - 1}}} "\\"" ": "'
_OBJECT_VALUE = (
    f'("\\"" {_JSON_STR_CHAR}{{0,{OBJECT_STR_MAX_CHARS}}} "\\"" | "-"? [0-9]{{1,15}} ("." [0-9]{{1,6}})? '
    '| "true" | "false")'
)
_OBJECT_RULE = (
    f'"{{" ({_OBJECT_KEY} {_OBJECT_VALUE} ("," " " {_OBJECT_KEY} {_OBJECT_VALUE}){{0,{OBJECT_MAX_KEYS - 1}}})? "}}"'
)


def _value_rule(spec: ValueSpec, bounds: _Bounds) -> str:
    if spec.kind == "str":
        return f"{_STR_FIRST} {_STR_REST}{{0,{bounds.str_chars - 1}}}"
    if spec.kind == "literal":
        return " | ".join(_gbnf_string(label) for label in spec.labels)
    if spec.kind == "list":
        assert spec.item is not None
        if spec.item == "str":
            item = f'"\\"" {_JSON_STR_CHAR}{{1,{bounds.list_str_chars}}} "\\""'
        elif spec.item == "bool":
            item = '("true" | "false")'  # JSON literals inside a JSON array
        else:
            item = f"({_SCALAR_RULES[spec.item]})"
        more = f' ("," " " {item}){{0,{bounds.list_items - 1}}}' if bounds.list_items > 1 else ""
        return f'"[" ({item}{more})? "]"'
    if spec.kind == "object":
        return _OBJECT_RULE
    return _SCALAR_RULES[spec.kind]


@functools.lru_cache(maxsize=512)
def build_grammar(spec: OutputSpec, max_chars: int) -> GrammarPlan:
    """The GBNF grammar for ``spec`` whose longest accepted text is at most ``max_chars`` characters."""
    if not spec:
        raise UnsupportedOutputTypeError("a signature needs at least one output field")
    bounds = _fit_bounds(spec, max_chars)
    parts: list[str] = []
    rules: list[str] = []
    for index, (name, value) in enumerate(spec):
        prefix = "" if index == 0 else FIELD_SEPARATOR
        parts.append(f"{_gbnf_string(prefix + _header(name))} v{index}")
        rules.append(f"v{index} ::= {_value_rule(value, bounds)}")
    parts.append(_gbnf_string(FIELD_SEPARATOR + COMPLETED_MARKER))
    text = "\n".join([f"root ::= {' '.join(parts)}", *rules]) + "\n"
    return GrammarPlan(text=text, max_chars=_total(spec, bounds))
