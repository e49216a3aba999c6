"""No pickle on the load path (design: "Never pickle ... loading a program must never execute code").

Two checks. Statically, no module of the service imports a deserialiser that can run code (pickle, cloudpickle, dill,
joblib, shelve, marshal) or calls DSPy's whole-program loader ``dspy.load`` / ``save_program=True`` (cloudpickle).
DSPy itself imports pickle and cloudpickle, so "imported" is about the service's own code. Dynamically, a program
version whose demos carry a real pickle payload (one that would create a file when unpickled) runs through the real
gRPC server while every unpickling entry point is trapped: the payload stays text, nothing is unpickled, no file
appears.
"""

from __future__ import annotations

import ast
import base64
import json
import pickle
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from tests.conftest import FactoryLMProvider, serve_stub
from tests.helpers import named_request
from tests.test_catalog_programs import RecordingLM

SERVICE_SOURCES = Path(__file__).resolve().parents[1] / "src" / "dspy_service"
UNSAFE_MODULES = {"pickle", "_pickle", "cPickle", "cloudpickle", "dill", "joblib", "shelve", "marshal", "jsonpickle"}


def unsafe_uses(source: str, filename: str) -> list[str]:
    """Imports of code-running deserialisers, ``dspy.load(...)``, ``allow_pickle=True`` and ``save_program=True``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNSAFE_MODULES:
            found.append(f"from {node.module} import ...")
        elif isinstance(node, ast.ImportFrom) and node.module == "dspy" and any(a.name == "load" for a in node.names):
            found.append("from dspy import load")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "load" and getattr(func.value, "id", None) == "dspy":
                found.append("dspy.load(...)")
            for keyword in node.keywords:
                if keyword.arg in ("allow_pickle", "save_program") and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    found.append(f"{keyword.arg}=...")
        elif isinstance(node, ast.Name) and node.id in ("__import__",):
            found.append("__import__")
    return [f"{filename}:{use}" for use in found]


def test_the_scan_finds_what_it_looks_for() -> None:
    planted = "import pickle\nfrom cloudpickle import loads\nimport dspy\nm = dspy.load('x', allow_pickle=True)\n"
    assert unsafe_uses(planted, "planted.py") == [
        "planted.py:import pickle",
        "planted.py:from cloudpickle import ...",
        "planted.py:dspy.load(...)",
        "planted.py:allow_pickle=...",
    ]
    assert unsafe_uses("import json\nm.save('x.json', save_program=False)\n", "clean.py") == []


def test_no_service_module_imports_a_code_running_deserialiser() -> None:
    files = sorted(p for p in SERVICE_SOURCES.rglob("*.py") if "_pb2" not in p.name)
    assert len(files) > 20  # the scan really covers the service
    found = [use for p in files for use in unsafe_uses(p.read_text(encoding="utf-8"), p.name)]
    assert found == []


class _Exploit:
    """Unpickling this creates ``path``: proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.path,))


def _trap(name: str, calls: list[str]) -> Any:
    def trapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        raise AssertionError(f"{name} was called on the program load path")

    return trapped


async def test_a_program_version_carrying_a_pickle_is_loaded_as_data(tmp_path: Path, monkeypatch) -> None:
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Exploit(marker))
    calls: list[str] = []
    for module, name in ((pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"), (cloudpickle, "loads")):
        monkeypatch.setattr(module, name, _trap(f"{module.__name__}.{name}", calls))

    smuggled = {"question": base64.b64encode(payload).decode(), "reasoning": payload.decode("latin-1"), "answer": "x"}
    state = json.dumps(
        {
            "predict": {
                "traces": [],
                "train": [],
                "demos": [smuggled, {"question": "py/object", "answer": {"py/reduce": [{"py/type": "os.system"}]}}],
                "signature": {
                    "instructions": "__import__('os').system('touch " + str(marker) + "')",
                    "fields": [
                        {"prefix": "Question:", "description": "q"},
                        {"prefix": "Reasoning:", "description": "${reasoning}"},
                        {"prefix": "Answer:", "description": "a"},
                    ],
                },
                "lm": None,
            }
        }
    )
    lm = RecordingLM({"Who wrote Hamlet?": {"reasoning": "Known.", "answer": "William Shakespeare"}})
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        result = await stub.Predict(named_request("qa", {"question": "Who wrote Hamlet?"}, state_json=state))

    assert result.outputs["answer"] == "William Shakespeare"
    assert base64.b64encode(payload).decode() in lm.prompts[0]  # the payload reached the LM as text, nothing more
    assert calls == []
    assert not marker.exists()


@pytest.mark.parametrize("loader", ["cloudpickle.loads", "pickle.loads"])
def test_the_traps_would_see_an_unpickling(loader: str, tmp_path: Path) -> None:
    """The dynamic test can fail: an unpickling does run the exploit (here, deliberately, outside the service)."""
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Exploit(marker))
    if loader == "pickle.loads":
        pickle.loads(payload)  # deliberately: the point of this test
    else:
        cloudpickle.loads(payload)  # what dspy.load(allow_pickle=True) does with program.pkl
    assert marker.exists()
