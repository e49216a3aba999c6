"""The local model's default thread count leaves CPUs to the rest of the suite."""

from pathlib import Path

import pytest

from dspy_service.lm import llamacpp
from dspy_service.lm.llamacpp import LocalModel, default_threads


@pytest.mark.parametrize(("cpus", "expected"), [(None, 1), (1, 1), (2, 1), (3, 1), (8, 4)])
def test_default_is_half_the_logical_cpus_and_at_least_one(
    monkeypatch: pytest.MonkeyPatch, cpus: int | None, expected: int
) -> None:
    monkeypatch.setattr(llamacpp.os, "cpu_count", lambda: cpus)
    assert default_threads() == expected
    assert LocalModel(Path("unused.gguf")).n_threads == expected


def test_an_explicit_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llamacpp.os, "cpu_count", lambda: 8)
    assert LocalModel(Path("unused.gguf"), n_threads=3).n_threads == 3
