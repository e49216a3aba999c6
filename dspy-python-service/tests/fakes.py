"""Test doubles beyond DSPy's DummyLM."""

from __future__ import annotations

import re
from typing import Any

import dspy


class FieldEchoLM(dspy.BaseLM):
    """Answers any ChatAdapter prompt: every output field the prompt asks for gets a type-appropriate value.

    Optimizers such as MIPROv2 call the LM with signatures of their own (program and data summaries, instruction
    proposals), which DummyLM's fixed answers cannot serve. ``answers`` maps text found in the prompt to the value of
    the ``answer`` field.
    """

    def __init__(self, answers: dict[str, str]) -> None:
        super().__init__(model="echo", model_type="chat", temperature=0.0, max_tokens=1000, cache=False)
        self.answers = answers

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> dict[str, Any]:
        system, user = messages[0]["content"], messages[-1]["content"]
        block = re.search(r"Your output fields are:\n(.*?)\n(?:All interactions|$)", system, re.S)
        fields = re.findall(r"^\d+\. `(\w+)` \(([^)]*)\)", block.group(1), re.M) if block else []
        parts = []
        for name, type_text in fields:
            if "float" in type_text or "int" in type_text:
                value = "1"
            elif "bool" in type_text:
                value = "True"
            elif name == "answer":
                value = next((a for key, a in self.answers.items() if key in user), "unknown")
            else:
                value = f"some {name}"
            parts.append(f"[[ ## {name} ## ]]\n{value}")
        text = "\n\n".join(parts) + "\n\n[[ ## completed ## ]]"
        return {
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            "model": "echo",
        }
