"""The naive synchronous HTTP bridge most teams start with: FastAPI, one uvicorn worker, a sync endpoint that calls
DSPy per request (FastAPI runs sync endpoints on its thread pool). Same program and simulated LM as the other paths.

Run: python -m dspy_bench.fastapi_bridge --port 8000 (latency from DSPY_BENCH_LATENCY_MS).
"""

from __future__ import annotations

import argparse
import os

import dspy
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from dspy_service.config import SimulatedLMSettings
from dspy_service.lm.simulated import SimulatedLM


class PredictRequest(BaseModel):
    question: str


def create_app(latency_ms: float) -> FastAPI:
    dspy.configure(lm=SimulatedLM(SimulatedLMSettings(enabled=True, latency_ms=latency_ms)))
    program = dspy.Predict("question -> answer")
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/predict")
    def predict(request: PredictRequest) -> dict[str, str]:
        return {"answer": str(program(question=request.question).answer)}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(float(os.environ.get("DSPY_BENCH_LATENCY_MS", "0")))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
