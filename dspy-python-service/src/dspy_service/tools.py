"""Python-side tools for ReAct: a safe calculator and a search over the shipped corpus.

The calculator parses the expression with :mod:`ast` and walks a closed set of node types (numbers, + - * / // % **,
unary signs, parentheses and a few math functions); nothing is ever passed to ``eval``/``exec``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dspy

from dspy_service.retrieval import corpus_index

MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e100
MAX_NODES = 100


class CalculatorError(ValueError):
    pass


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "log": math.log,
    "exp": math.exp,
    "floor": math.floor,
    "ceil": math.ceil,
}
_CONSTANTS = {"pi": math.pi, "e": math.e}


def _check(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalculatorError("only numbers are supported")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("the result is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise CalculatorError("the result is too large")
    return value


def _evaluate(node: ast.AST) -> Any:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        return _check(node.value)
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _check(_UNARY[type(node.op)](_evaluate(node.operand)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalculatorError(f"exponents are limited to {MAX_EXPONENT}")
        try:
            return _check(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise CalculatorError("division by zero") from None
        except OverflowError:
            raise CalculatorError("the result is too large") from None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
        and 1 <= len(node.args) <= 4
    ):
        args = [_evaluate(a) for a in node.args]
        try:
            return _check(_FUNCTIONS[node.func.id](*args))
        except (ValueError, TypeError, OverflowError):
            raise CalculatorError(f"invalid arguments for {node.func.id}") from None
    raise CalculatorError("unsupported expression: use numbers, + - * / // % **, parentheses and math functions")


def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression safely (no ``eval``)."""
    expression = expression.strip().replace("^", "**").replace("×", "*").replace("÷", "/")  # noqa: RUF001
    if not expression or len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"the expression must have 1..{MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise CalculatorError("the expression does not parse") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise CalculatorError("the expression is too long")
    result = _evaluate(tree)
    if isinstance(result, float) and result.is_integer() and abs(result) < 2**53:
        return int(result)
    return round(result, 10) if isinstance(result, float) else result


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as "(12 + 30) * 2 / 7" or "sqrt(16) + 2**3" and return the number."""
    try:
        return str(calculate(expression))
    except CalculatorError as exc:
        return f"error: {exc}"


def search_corpus(query: str, k: int = 3) -> str:
    """Search the service's reference corpus (geography, science, history) and return the best passages."""
    passages = corpus_index().search(query, k=k)
    if not passages:
        return "no matching passages"
    return "\n".join(f"[{p.title}] {p.text}" for p in passages)


@dataclass(frozen=True)
class BuiltinTool:
    name: str
    function: Callable[..., str]
    description: str
    args_schema: dict[str, Any] = field(default_factory=dict)

    def as_dspy_tool(self) -> dspy.Tool:
        return dspy.Tool(self.function, name=self.name, desc=self.description)


BUILTIN_TOOLS: dict[str, BuiltinTool] = {
    "calculator": BuiltinTool(
        name="calculator",
        function=calculator,
        description=(
            "Evaluates an arithmetic expression (numbers, + - * / // % **, parentheses, sqrt, log, exp, abs, round, "
            "min, max, floor, ceil, pi, e) and returns the result."
        ),
        args_schema={
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. (12 + 30) * 2"}},
            "required": ["expression"],
        },
    ),
    "search_corpus": BuiltinTool(
        name="search_corpus",
        function=search_corpus,
        description="Searches the service's reference corpus with BM25 and returns the k best passages.",
        args_schema={
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "what to look for"},
                "k": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3},
            },
            "required": ["query"],
        },
    ),
}
