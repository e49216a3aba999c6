"""``python -m dspy_service``: run the gRPC server configured from the environment."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from dspy_service.config import ConfigError, Settings
from dspy_service.logs import configure_logging


def main() -> int:
    configure_logging()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        logging.getLogger("dspy_service").error("invalid configuration", extra={"error": str(exc)})
        return 2
    configure_logging(settings.log_level)
    logging.getLogger("dspy_service").info(
        "starting",
        extra={"default_model": settings.lm.default_model, "allowed_models": ",".join(settings.lm.permitted_models)},
    )

    from dspy_service.server import serve  # imported after logging is set up: importing DSPy takes a while

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
