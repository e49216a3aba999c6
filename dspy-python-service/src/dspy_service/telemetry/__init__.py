"""Observability: OpenTelemetry traces (``tracing``) and Prometheus metrics (``metrics``).

Not to be confused with ``dspy_service.metrics``, the evaluation metrics that score predictions.
"""
