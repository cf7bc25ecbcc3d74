"""The leases of pre-cache requests: renewed, released, taken over.

A conductor renews the leases of the requests it works on every
``[conductor] precache_check_interval`` seconds, releases them when it
stops cleanly, and takes over the requests nobody works on (see
``db/precache.py`` and ``fanout.py``).
"""

from oslo_log import log as logging

from aggregates_ext.conductor import fanout
from aggregates_ext import conf
from aggregates_ext import context as ctx_module
from aggregates_ext.db import precache as precache_db

LOG = logging.getLogger(__name__)
CONF = conf.CONF


def release_leases():
    """Give up this process's leases (a clean stop), logged."""
    name = fanout.current_owner()
    if name is None:
        return
    try:
        released = precache_db.release(name)
    except Exception as exc:
        LOG.warning('Could not release the leases of %s; they expire in %d '
                    'seconds: %s', name,
                    CONF.conductor.precache_lease_seconds, exc)
        return
    if released:
        LOG.info('Released %d pre-cache request(s) for another conductor '
                 'to take over', released)


class LeaseKeeper:
    """Renews this conductor's leases and adopts requests nobody works on.

    Run every ``[conductor] precache_check_interval`` seconds.  A request
    whose conductor died is resumed within ``precache_lease_seconds`` plus
    that interval; a pending one whose cast was lost, within
    ``precache_pending_grace`` plus it.
    """

    def __init__(self, runner):
        #: the conductor's fanout.Fanout, which runs what is taken over
        self.fanout = runner

    def __call__(self):
        try:
            precache_db.renew(fanout.owner(),
                              CONF.conductor.precache_lease_seconds)
            for request_uuid in precache_db.adoptable(
                    CONF.conductor.precache_pending_grace):
                req = precache_db.get_request(request_uuid)
                context = ctx_module.RequestContext(
                    request_id=req.request_id, is_admin=True,
                    roles=['admin'], overwrite=False)
                if self.fanout.start(context, request_uuid):
                    LOG.info('Taking over pre-cache request %s (status %s, '
                             'conductor %s)', request_uuid, req.status,
                             req.conductor or 'none')
        except Exception as exc:
            LOG.warning('Could not renew or adopt pre-cache requests: %s',
                        exc)
