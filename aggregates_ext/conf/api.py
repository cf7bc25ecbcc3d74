"""Options of the ``[api]`` group."""

from oslo_config import cfg

api_group = cfg.OptGroup('api', title='API options', help="""
Options for the HTTP API service.
""")

api_opts = [
    cfg.StrOpt(
        'auth_strategy',
        default='keystone',
        choices=[
            ('keystone', 'Validate tokens with keystonemiddleware '
                         '(the `keystone` pipeline flavor).'),
            ('noauth2', 'Development and tests only: trust '
                        '`X-Auth-Token: user:project`; the user `admin` is '
                        'an administrator.'),
        ],
        help="""
How the API authenticates requests.  Selects the Paste pipeline flavor of
``api-paste.ini``.  ``noauth2`` must never be used in production: anyone can
claim to be ``admin``.
"""),
    cfg.StrOpt(
        'api_paste_config',
        default='api-paste.ini',
        help="""
Paste deployment file of the API.  A relative path is looked up in the
configuration directories (``/etc/aggregates-ext`` and the like); when it is
not found there, the copy shipped inside the package is used.
"""),
    cfg.StrOpt(
        'service_type',
        default='host-aggregates',
        help="""
Service type under which this API is registered in the Keystone catalog.

Clients that find the API under a type of its own (openstackclient and
openstacksdk with ``compute_service_type``, keystoneauth sessions) send the
microversion for that type, ``OpenStack-API-Version: host-aggregates 2.81``;
the API takes it as it takes ``compute 2.81`` (what Nova's clients and
Tempest send) and the legacy ``X-OpenStack-Nova-API-Version``.  Responses
name the version ``compute``, as Nova's do.

Possible values:

* The type given to ``openstack service create`` for this API.
"""),
    cfg.HostAddressOpt(
        'bind_host',
        default='0.0.0.0',
        help='Address on which ``aggregates-ext-api`` listens.'),
    cfg.PortOpt(
        'bind_port',
        default=9774,
        help="""
Port on which ``aggregates-ext-api`` (and ``aggregates-ext-all``) listens.

The default is a port no OpenStack service uses, so the service can run on
a controller beside Nova (8774, metadata 8775), Placement (8778/8780) and
the rest.
"""),
    cfg.IntOpt(
        'max_request_header_size',
        default=65536,
        min=1024,
        help="""
Largest request head (request line and headers, in bytes) that
``aggregates-ext-api`` and ``aggregates-ext-all`` read.  A longer request
line is answered ``414``, longer headers ``413``, by the HTTP server itself
(plain text, before the API sees the request), so that no client can make
the server hold arbitrary amounts of memory.  The default matches the 64 KiB
buffer OpenStack APIs commonly run with under uWSGI; keystone tokens are a
few hundred bytes.  Under another WSGI server, set that server's own limit
(uWSGI ``buffer-size``, gunicorn ``limit_request_field_size``).
"""),
    cfg.IntOpt(
        'workers_threads',
        default=16,
        min=1,
        help="""
Number of threads of the ``aggregates-ext-api`` WSGI server, i.e. requests
served at the same time by one process.
"""),
    cfg.StrOpt(
        'compute_link_prefix',
        help="""
Replace the scheme, host and path prefix of links in the version documents
with this URL, for an API behind a proxy that does not send
``X-Forwarded-*`` headers.
"""),
    cfg.StrOpt(
        'response_validation',
        default='warn',
        choices=[
            ('error', 'Answer 500 when a response does not match its '
                      'schema (tests).'),
            ('warn', 'Log a warning when a response does not match its '
                     'schema.'),
            ('ignore', 'Do not validate responses.'),
        ],
        help="""
Whether responses are checked against the response schemas of the API.
"""),
]


def register_opts(conf):
    conf.register_group(api_group)
    conf.register_opts(api_opts, group=api_group)


def list_opts():
    return {api_group: api_opts}
