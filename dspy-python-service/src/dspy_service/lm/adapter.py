"""A ChatAdapter that hands the signature's output fields to a local LM so it can constrain its decoding."""

from __future__ import annotations

from typing import Any

import dspy

from dspy_service.cancellation import raise_if_cancelled
from dspy_service.lm.durable_cache import CACHE_SETTING, DurableCallCache
from dspy_service.lm.grammar import output_spec
from dspy_service.lm.llamacpp import OUTPUT_SPEC_KWARG
from dspy_service.telemetry import metrics


class SignatureConstrainedChatAdapter(dspy.ChatAdapter):
    """DSPy's ChatAdapter, plus two things:

    * when the LM declares ``accepts_output_spec`` (:class:`LlamaCppLM`, :class:`SimulatedLM`), the predictor's output
      fields (in signature order, so ChainOfThought's ``reasoning`` comes first) travel in the LM kwargs: the local
      model turns them into a grammar that only admits the ChatAdapter's ``[[ ## field ## ]]`` output format, the
      simulated one into made-up values of the right types;
    * before every LM call it checks whether the task was cancelled, so multi-call programs stop between calls;
    * when the task runs with a durable call cache (optimizations), a call whose request was already answered is
      replayed from the cache instead of reaching the LM, and new answers are stored.
    """

    def _constrained_kwargs(
        self, lm: Any, lm_kwargs: dict[str, Any], signature: type[dspy.Signature]
    ) -> dict[str, Any]:
        raise_if_cancelled()
        if getattr(lm, "accepts_output_spec", False):
            return {**lm_kwargs, OUTPUT_SPEC_KWARG: output_spec(signature.output_fields)}
        return lm_kwargs

    def __call__(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        kwargs = self._constrained_kwargs(lm, lm_kwargs, signature)
        cache = dspy.settings.get(CACHE_SETTING)
        if not isinstance(cache, DurableCallCache):
            return self._parsed_call(lm, kwargs, signature, demos, inputs)
        key = cache.key(lm.model, {**lm.kwargs, **lm_kwargs}, signature, demos, inputs)
        cached = cache.get(key)
        if cached is not None:
            metrics.LM_CACHE_HITS.inc()
            return cached
        outputs = self._parsed_call(lm, kwargs, signature, demos, inputs)
        cache.put(key, outputs)
        return outputs

    def _parsed_call(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        try:
            return super().__call__(lm, lm_kwargs, signature, demos, inputs)
        except dspy.AdapterParseError:
            metrics.OUTPUT_PARSE_FAILURES.inc()
            raise

    async def acall(
        self,
        lm: dspy.BaseLM,
        lm_kwargs: dict[str, Any],
        signature: type[dspy.Signature],
        demos: list[dict[str, Any]],
        inputs: dict[str, Any],
    ) -> list[dict[str, Any]]:
        kwargs = self._constrained_kwargs(lm, lm_kwargs, signature)
        try:
            return await super().acall(lm, kwargs, signature, demos, inputs)
        except dspy.AdapterParseError:
            metrics.OUTPUT_PARSE_FAILURES.inc()
            raise
