"""Weekly insights: a channel's analytics -> measured metrics -> an LLM-written ChannelInsight.

``metrics`` (pure functions over the figures), ``categories`` (content categories of Pins),
``followers`` (follower snapshots), ``figures`` (the named figures the LLM may cite),
``models`` (``ChannelInsight`` and its parts), ``writer`` (the whole run for one channel).
"""
