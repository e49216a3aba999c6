"""Compiled program versions round-trip as JSON state for every top-level module shape."""

from collections.abc import Callable

import dspy
import pytest

from dspy_service.errors import ServiceError
from dspy_service.state import dump_program_state, load_program_state


@pytest.mark.parametrize(
    "make",
    [lambda: dspy.Predict("question -> answer"), lambda: dspy.ChainOfThought("question -> answer")],
    ids=["predict", "chain_of_thought"],
)
def test_state_dumped_from_a_compiled_program_loads_into_a_fresh_one(make: Callable[[], dspy.Module]) -> None:
    compiled = make()
    for _, predictor in compiled.named_predictors():
        predictor.demos = [dspy.Example(question="Capital of France?", answer="Paris")]

    fresh = make()
    load_program_state(fresh, dump_program_state(compiled))

    demos = [predictor.demos for _, predictor in fresh.named_predictors()]
    assert [len(d) for d in demos] == [1]
    assert demos[0][0]["answer"] == "Paris"


def test_state_of_another_program_shape_is_refused() -> None:
    chain_state = dump_program_state(dspy.ChainOfThought("question -> answer"))

    with pytest.raises(ServiceError, match="does not match the program's predictors"):
        load_program_state(dspy.Predict("question -> answer"), chain_state)
