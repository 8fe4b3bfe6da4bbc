"""Dramatiq plumbing: the brokers, message envelopes, middleware, retries, dead letters.

:mod:`.brokers` is the one module that touches Dramatiq's private names.
"""
