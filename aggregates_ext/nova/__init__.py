"""Nova mode: keeping Nova's own copies of the aggregates in step.

Nova reads aggregates in four places, and a change made through this
service must reach each: the API database rows (``db/aggregates.py``
writes them there), the schedulers' in-memory copy (``rpc``: the
broadcasts nova-api sends), Placement's aggregate membership
(``placement``), and nova-api's per-process cache of host zones when our
filter runs inside nova-api (``azcache``).  ``sync`` is what the domain
layer calls after each change.
"""
