"""Options of the ``[glance]`` group: how to reach the Glance v2 API.

All options are keystoneauth1's standard ones (session, auth plugin and
adapter), so a deployer configures this group as the ``[glance]`` group of
``nova.conf`` and every other OpenStack service.
"""

from aggregates_ext.conf import keystoneauth

GROUP_NAME = 'glance'
SERVICE_TYPE = 'image'

_GROUP = keystoneauth.ServiceGroup(GROUP_NAME, 'Glance options', """
How the API and the compute agents reach the Glance v2 image service.

Without ``auth_type``, requests carry the token of the user who asked for
the pre-cache request and go to ``endpoint_override``; with ``auth_type``
(for example ``password``), they authenticate as this service user and find
the endpoint in the service catalog (``service_type``, ``valid_interfaces``,
``region_name``) unless ``endpoint_override`` is set.  The endpoint is the
image service's root URL, without ``/v2``.

Related options:

* ``[image] source``: this group is only read when it is ``glance``.
""", SERVICE_TYPE, ['internal', 'public'])

register_opts = _GROUP.register_opts
list_opts = _GROUP.list_opts
