"""Weekly insights: a channel's analytics -> measured metrics -> an LLM-written ChannelInsight.

``metrics`` (pure functions over the figures), ``categories`` (the keyword rules for content
categories), ``categorizer`` (who decides a Pin's category: the model or the rules),
``pin_records`` / ``pin_cache`` / ``pin_catalog`` (each channel's Pin metadata, cached between
runs and listed incrementally), ``pin_index`` (each Pin's metric code), ``followers`` (follower
snapshots), ``figures`` (the named figures the LLM may cite, and the grounding check),
``models`` (``ChannelInsight`` and its parts), ``writer`` (the whole run for one channel),
``recorder`` (the analytics source that keeps what the run read) and ``snapshot`` (that reading
as the console's plain-data figures snapshot; the console draws it, never the worker).
"""
