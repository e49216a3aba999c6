"""DSPy's ParallelExecutor clears tqdm's bar registry without tqdm's lock; concurrent evaluations must survive it."""

from __future__ import annotations

import tqdm

from dspy_service.runner import configure_dspy_runtime


def _register_then_cleared_then_init() -> None:
    # The interleaving the chaos soak hit, made deterministic: a bar registers itself (tqdm.__new__), another thread's
    # ParallelExecutor.execute clears the registry, then the disabled bar unregisters itself in __init__.
    bar = tqdm.tqdm.__new__(tqdm.tqdm)
    tqdm.tqdm._instances.clear()
    bar.__init__(total=3, disable=True)


def test_a_disabled_bar_survives_a_concurrent_registry_clear() -> None:
    configure_dspy_runtime()
    _register_then_cleared_then_init()  # raised KeyError (an INTERNAL evaluation failure) before the fix
    assert len(tqdm.tqdm._instances) == 0


def test_the_interleaving_fails_with_a_plain_registry() -> None:
    # Proves the test above exercises the race: with tqdm's own WeakSet the same interleaving raises.
    from weakref import WeakSet

    configured = tqdm.tqdm._instances
    tqdm.tqdm._instances = WeakSet()
    try:
        try:
            _register_then_cleared_then_init()
        except KeyError:
            return
        raise AssertionError("expected tqdm's plain registry to raise KeyError")
    finally:
        tqdm.tqdm._instances = configured
