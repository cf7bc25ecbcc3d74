"""What a service process keeps between requests, and the one reset of it.

Each piece is made on first use and then lives as long as the process:

* ``rpc``: the transports to our broker, for RPC and for notifications;
* ``nova.rpc``: the transport to Nova's broker and the schedulers'
  broadcast client (Nova mode);
* ``nova.placement``: the keystoneauth session to Placement (Nova mode);
* ``notifications``: the notifier;
* ``policy``: the enforcer, with the policy file's rules loaded;
* ``db.engines``: the engines of our database, Nova's and its cells;
* ``conductor.fanout``: the fan-out's executors and this process's lease
  owner name;
* ``startup``: whether logging goes to a file, whether the embedded API
  (our filter inside nova-api) is set up.

Nothing else of ours is kept between requests at module level, except
what is computed once and never changes: the upsert statements of
``db.precache`` and the compiled response schemas kept on each handler
(``api.validation``).
``nova.azcache`` resets nova-api's own cache, not ours, and is not here.

``reset()`` forgets all of it, so that a test sees nothing an earlier test
made; the tests' fixtures call it, never the pieces' own resets.
"""

from aggregates_ext.conductor import fanout
from aggregates_ext.db import engines
from aggregates_ext import notifications
from aggregates_ext.nova import placement
from aggregates_ext.nova import rpc as nova_rpc
from aggregates_ext import policy
from aggregates_ext import rpc
from aggregates_ext import startup


def reset():
    """Forget every piece of process-wide state.

    What runs stops first (the fan-out's executors finish their work),
    then what connects is closed (transports, engines), then the rest is
    forgotten; the next use of each piece makes it again.
    """
    fanout.reset()
    rpc.cleanup()
    nova_rpc.cleanup()
    placement.reset()
    notifications.reset()
    policy.reset()
    engines.reset()
    startup.reset()
