"""A durable, content-addressed cache of the LM calls of one optimization task (crash-resumable optimization).

When a worker dies in the middle of an optimization, the orchestration service retries the task, possibly on another
replica sharing the cache directory. The retried run makes the same calls in the same order (optimizers are seeded and
the local model decodes greedily, or each call's key includes its rollout id and temperature), so every call that the
first attempt finished is answered from disk instead of being paid for again.

Entries are JSON files (never pickle): ``<dir>/<sha256(task_id)>/<sha256(request)>.json`` holding the adapter's parsed
outputs. A request's key covers the model, the LM parameters (temperature, rollout id, max tokens, ...), the
signature (instructions, field names, types, descriptions), the demos and the inputs. Files are written atomically
(temp file + rename), so a crash never leaves half an entry. Task directories older than the TTL are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CACHE_SETTING = "dspy_service_call_cache"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "toDict"):
        return value.toDict()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_jsonable)


class DurableCallCache:
    def __init__(self, root: Path, task_id: str) -> None:
        self.root = root
        self.directory = root / hashlib.sha256(task_id.encode("utf-8")).hexdigest()[:32]
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.replayed = 0
        self.stored = 0

    @staticmethod
    def key(model: str, lm_kwargs: dict[str, Any], signature: Any, demos: Any, inputs: Any) -> str:
        fields = {
            name: [
                str(f.annotation),
                (f.json_schema_extra or {}).get("desc"),
                (f.json_schema_extra or {}).get("prefix"),
            ]
            for name, f in signature.fields.items()
        }
        material = {
            "model": model,
            "kwargs": {k: v for k, v in lm_kwargs.items() if not k.startswith("dspy_service_")},
            "instructions": signature.instructions,
            "fields": fields,
            "demos": demos,
            "inputs": inputs,
        }
        return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        path = self.directory / f"{key}.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            logger.warning("unreadable LM cache entry ignored", extra={"entry": path.name})
            return None
        outputs = entry.get("outputs") if isinstance(entry, dict) else None
        if not isinstance(outputs, list):
            return None
        with self._lock:
            self.replayed += 1
        return outputs

    def put(self, key: str, outputs: list[dict[str, Any]]) -> None:
        try:
            text = json.dumps({"outputs": outputs, "stored_at": time.time()}, ensure_ascii=False)
        except (TypeError, ValueError):
            return  # not JSON-representable: simply not cached
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return
        with self._lock:
            self.stored += 1


def prune(root: Path, ttl_seconds: float) -> None:
    """Remove task directories not touched for ``ttl_seconds``."""
    if not root.is_dir():
        return
    cutoff = time.time() - ttl_seconds
    for child in root.iterdir():
        with contextlib.suppress(OSError):
            if child.is_dir() and child.stat().st_mtime < cutoff:
                shutil.rmtree(child, ignore_errors=True)
