"""Programs registered in code: each has a fixed structure, a fitting metric and small example datasets.

Compiled versions of a named program (demos, instructions) are not kept here: the orchestration service stores them
and sends the chosen one with each call (``ProgramSpec.program_state_json``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import dspy

from dspy_service.retrieval import corpus_index
from dspy_service.signatures import FieldDef, type_name


class QuestionAnswer(dspy.Signature):
    """Answer the question with a short factual answer."""

    question: str = dspy.InputField(desc="a factual question")
    answer: str = dspy.OutputField(desc="a short answer, often a name or a few words")


SENTIMENT_LABELS = ("positive", "negative", "neutral")


class ClassifySentiment(dspy.Signature):
    """Classify the sentiment of the text."""

    text: str = dspy.InputField(desc="a short review or statement")
    label: Literal["positive", "negative", "neutral"] = dspy.OutputField(desc="the sentiment of the text")


class ExtractPerson(dspy.Signature):
    """Extract facts about the person described in the text."""

    text: str = dspy.InputField(desc="a sentence describing one person")
    name: str = dspy.OutputField(desc="the person's full name")
    age: int = dspy.OutputField(desc="the person's age in years")
    city: str = dspy.OutputField(desc="the city where the person lives or works")
    languages: list[str] = dspy.OutputField(desc="the languages the person speaks")


class AnswerFromContext(dspy.Signature):
    """Answer the question using the retrieved passages."""

    context: list[str] = dspy.InputField(desc="passages that may contain the answer")
    question: str = dspy.InputField()
    answer: str = dspy.OutputField(desc="a short answer taken from the passages")


class RAG(dspy.Module):
    """Retrieve the ``k`` best passages of the shipped corpus with BM25, then answer with chain of thought."""

    def __init__(self, k: int = 3) -> None:
        super().__init__()
        self.k = k
        self.respond = dspy.ChainOfThought(AnswerFromContext)

    def forward(self, question: str) -> dspy.Prediction:
        passages = corpus_index().search(question, k=self.k)
        context = [f"{p.title}: {p.text}" for p in passages]
        prediction = self.respond(context=context, question=question)
        return dspy.Prediction(context=context, reasoning=prediction.reasoning, answer=prediction.answer)


@dataclass(frozen=True)
class NamedProgram:
    name: str
    description: str
    module: str
    factory: Callable[[], dspy.Module]
    signature: type[dspy.Signature]
    """Inputs and outputs as seen by a caller (outputs of the last predictor, plus ``extra_outputs``)."""
    default_metric: str
    extra_outputs: tuple[FieldDef, ...] = ()
    tools: tuple[str, ...] = ()

    def inputs(self) -> list[FieldDef]:
        return [_field_def(n, f) for n, f in self.signature.input_fields.items()]

    def outputs(self) -> list[FieldDef]:
        fields = list(self.extra_outputs)
        fields += [_field_def(n, f) for n, f in self.signature.output_fields.items()]
        return fields

    def dataset(self) -> dict[str, list[dict[str, Any]]]:
        return _dataset(self.name)


def _field_def(name: str, field: Any) -> FieldDef:
    import typing

    annotation = field.annotation
    labels = tuple(str(a) for a in typing.get_args(annotation)) if typing.get_origin(annotation) is Literal else ()
    desc = (field.json_schema_extra or {}).get("desc", "")
    if isinstance(desc, str) and desc.startswith("${"):
        desc = ""
    return FieldDef(name=name, type=type_name(annotation), description=desc, enum_values=labels)


@functools.cache
def _dataset(name: str) -> dict[str, list[dict[str, Any]]]:
    text = resources.files("dspy_service.data.datasets").joinpath(f"{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {"train": list(data["train"]), "dev": list(data["dev"])}


_REASONING = FieldDef("reasoning", "str", "the step-by-step reasoning")

NAMED_PROGRAMS: dict[str, NamedProgram] = {
    p.name: p
    for p in (
        NamedProgram(
            name="qa",
            description="Question answering with chain of thought.",
            module="chain_of_thought",
            factory=lambda: dspy.ChainOfThought(QuestionAnswer),
            signature=QuestionAnswer,
            default_metric="answer_exact_match",
            extra_outputs=(_REASONING,),
        ),
        NamedProgram(
            name="classify",
            description="Sentiment classification into enumerated labels (positive, negative, neutral).",
            module="predict",
            factory=lambda: dspy.Predict(ClassifySentiment),
            signature=ClassifySentiment,
            default_metric="exact_match",
        ),
        NamedProgram(
            name="extract",
            description="Structured extraction of several typed fields (name, age, city, languages) from text.",
            module="predict",
            factory=lambda: dspy.Predict(ExtractPerson),
            signature=ExtractPerson,
            default_metric="exact_match",
        ),
        NamedProgram(
            name="rag",
            description="Retrieval-augmented QA: BM25 (bm25s) over the shipped corpus, then chain of thought.",
            module="custom",
            factory=RAG,
            signature=dspy.Signature(
                {
                    "question": (str, dspy.InputField(desc="a question about the shipped corpus")),
                    "answer": (str, dspy.OutputField(desc="a short answer taken from the passages")),
                },
                "Answer the question from passages retrieved from the service's corpus.",
            ),
            default_metric="answer_exact_match",
            extra_outputs=(FieldDef("context", "list[str]", "the retrieved passages"), _REASONING),
            tools=("search_corpus",),
        ),
    )
}
