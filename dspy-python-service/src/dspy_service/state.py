"""Program versions as DSPy's JSON state: dumping, and loading without ever executing code.

``dspy.Module.load_state`` trusts its input: every unknown key of a predictor's state becomes an attribute
(``setattr``), an ``lm`` entry rebuilds an LM (model, endpoint), and ``fields`` changes which adapter runs. State that
arrives over the network is therefore checked first, against the freshly built program: only demos (JSON values) and
each predictor's instructions and field prefixes/descriptions are accepted; ``lm`` must be null and ``fields`` empty.
The JSON is parsed with :func:`json.loads` (data only: no pickle, no imports, no callables).
"""

from __future__ import annotations

import json
from typing import Any

import dspy

from dspy_service.errors import INVALID_PROGRAM, ServiceError

MAX_STATE_BYTES = 2 * 1024 * 1024
MAX_DEMOS_PER_PREDICTOR = 64
MAX_TEXT_BYTES = 16 * 1024
_PREDICTOR_KEYS = frozenset({"demos", "traces", "train", "signature", "lm", "fields"})


class ProgramStateError(ValueError):
    pass


def dump_program_state(module: dspy.Module) -> str:
    """DSPy's JSON state of ``module`` keyed by predictor name, as compact JSON text.

    This is the shape ``dspy.Module.dump_state()`` produces for composite modules. A bare ``dspy.Predict`` dumps its
    own state unkeyed, so the predictors are walked here instead: every program, whatever its top-level module, then
    travels in one shape, keyed by ``named_parameters()`` (``"self"`` for a bare predictor).
    """
    state = {name: predictor.dump_state() for name, predictor in module.named_parameters()}
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"), default=str)


def count_demos(module: dspy.Module) -> int:
    return sum(len(getattr(p, "demos", []) or []) for _, p in module.named_predictors())


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ProgramStateError(f"{where} must be a string of at most {MAX_TEXT_BYTES} bytes")
    return value


def _demo(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise ProgramStateError(f"{where} must be a non-empty object")
    for key in value:
        if not isinstance(key, str) or not key or len(key) > 64:
            raise ProgramStateError(f"{where} has an invalid field name")
    return value


def _sanitise_predictor(name: str, state: Any, predictor: dspy.Predict) -> dict[str, Any]:
    where = f"predictor {name!r}"
    if not isinstance(state, dict):
        raise ProgramStateError(f"{where}: state must be an object")
    unknown = sorted(set(state) - _PREDICTOR_KEYS)
    if unknown:
        raise ProgramStateError(f"{where}: unknown state key(s) {', '.join(unknown)}")
    if state.get("lm") is not None:
        raise ProgramStateError(f"{where}: a program version cannot choose its LM (lm must be null)")
    if state.get("fields"):
        raise ProgramStateError(f"{where}: per-field decision state is not supported")
    demos = state.get("demos", [])
    if not isinstance(demos, list) or len(demos) > MAX_DEMOS_PER_PREDICTOR:
        raise ProgramStateError(f"{where}: demos must be a list of at most {MAX_DEMOS_PER_PREDICTOR}")
    signature = state.get("signature")
    if not isinstance(signature, dict) or set(signature) - {"instructions", "fields"}:
        raise ProgramStateError(f"{where}: signature must be an object with instructions and fields")
    fields = signature.get("fields", [])
    if not isinstance(fields, list) or len(fields) != len(predictor.signature.fields):
        raise ProgramStateError(f"{where}: the state's fields do not match the program's signature")
    clean_fields = []
    for index, f in enumerate(fields):
        if not isinstance(f, dict) or set(f) != {"prefix", "description"}:
            raise ProgramStateError(f"{where}: field {index} must have exactly prefix and description")
        clean_fields.append(
            {
                "prefix": _text(f["prefix"], f"{where} field {index} prefix"),
                "description": _text(f["description"], f"{where} field {index} description"),
            }
        )
    return {
        "demos": [_demo(d, f"{where} demo {i}") for i, d in enumerate(demos)],
        "traces": [],
        "train": [],
        "signature": {
            "instructions": _text(signature.get("instructions", ""), f"{where} instructions"),
            "fields": clean_fields,
        },
        "lm": None,
    }


def load_program_state(module: dspy.Module, text: str) -> None:
    """Apply a JSON program state to a freshly built ``module``; ServiceError(INVALID_PROGRAM) if it does not fit."""
    try:
        if len(text.encode("utf-8")) > MAX_STATE_BYTES:
            raise ProgramStateError(f"the program state exceeds {MAX_STATE_BYTES} bytes")
        try:
            state = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ProgramStateError("the program state is not valid JSON") from exc
        if not isinstance(state, dict):
            raise ProgramStateError("the program state must be a JSON object")
        predictors = dict(module.named_parameters())
        if set(state) != set(predictors):
            raise ProgramStateError("the program state does not match the program's predictors")
        clean = {name: _sanitise_predictor(name, state[name], predictors[name]) for name in predictors}
        # Per predictor, mirroring dump_program_state: a bare dspy.Predict is its own only predictor ("self").
        for name, predictor in predictors.items():
            predictor.load_state(clean[name])
    except ProgramStateError as exc:
        raise ServiceError(INVALID_PROGRAM, f"invalid program state: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ServiceError(INVALID_PROGRAM, "invalid program state: it does not fit the program") from None
