"""What the worker tells an operator while it runs: Prometheus metrics (:mod:`.metrics`) and
OpenTelemetry spans (:mod:`.tracing`). Thin calls at the seams (the event stream, the Pinterest
client's ``send``, the LLM call); no layer below ``queues`` learns about Prometheus or OTel."""
