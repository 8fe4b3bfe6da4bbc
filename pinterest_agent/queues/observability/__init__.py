"""Metrics (Prometheus) for the worker: thin calls at the seams, see :mod:`.metrics`."""
