"""Checks whether llama.cpp's grammar sampler accepts a text, token by token, against the real model vocabulary."""

from __future__ import annotations

import ctypes
import math

import llama_cpp
from llama_cpp import Llama


def grammar_compiles(llama: Llama, grammar: str) -> bool:
    sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, grammar.encode("utf-8"), b"root")
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def _allowed(sampler: int, token: int) -> bool:
    data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
    array = llama_cpp.llama_token_data_array(data, 1, -1, False)
    llama_cpp.llama_sampler_apply(sampler, ctypes.byref(array))
    return not (math.isinf(data[0].logit) and data[0].logit < 0)


def grammar_accepts(llama: Llama, grammar: str, text: str) -> bool:
    """True if the grammar lets the model produce exactly ``text`` and then stop."""
    vocab = llama._model.vocab
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
    assert sampler, "grammar does not compile"
    try:
        for token in llama.tokenize(text.encode("utf-8"), add_bos=False, special=False):
            if not _allowed(sampler, token):
                return False
            llama_cpp.llama_sampler_accept(sampler, token)
        # End of generation is only allowed once the grammar is complete.
        return _allowed(sampler, llama_cpp.llama_vocab_eos(vocab))
    finally:
        llama_cpp.llama_sampler_free(sampler)
