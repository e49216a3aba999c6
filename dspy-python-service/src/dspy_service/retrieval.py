"""BM25 retrieval (``bm25s``) over the small corpus shipped with the service (``data/corpus.jsonl``)."""

from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass
from importlib import resources

import bm25s

MAX_K = 10


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    text: str


class Bm25Index:
    """An in-memory BM25 index; built once, read-only afterwards (queries are serialised: bm25s is not re-entrant)."""

    def __init__(self, passages: list[Passage]) -> None:
        if not passages:
            raise ValueError("the corpus is empty")
        self.passages = passages
        self._lock = threading.Lock()
        self._retriever = bm25s.BM25()
        tokens = bm25s.tokenize([f"{p.title}. {p.text}" for p in passages], stopwords="en", show_progress=False)
        self._retriever.index(tokens, show_progress=False)

    def search(self, query: str, k: int = 3) -> list[Passage]:
        k = max(1, min(int(k), MAX_K, len(self.passages)))
        query = query.strip()[:1000]
        if not query:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not any(tokens.ids):
            return []
        with self._lock:
            documents, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        return [self.passages[int(i)] for i, s in zip(documents[0], scores[0], strict=True) if float(s) > 0]


def load_corpus() -> list[Passage]:
    text = resources.files("dspy_service.data").joinpath("corpus.jsonl").read_text(encoding="utf-8")
    passages = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            passages.append(Passage(id=str(row["id"]), title=str(row["title"]), text=str(row["text"])))
    return passages


@functools.cache
def corpus_index() -> Bm25Index:
    """The shipped corpus, indexed once per process."""
    return Bm25Index(load_corpus())
