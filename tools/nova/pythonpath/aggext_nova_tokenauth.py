# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""TEST ONLY: a Paste filter in the place of keystonemiddleware.auth_token.

Nova 34.0.0 has no noauth2 pipeline any more.  This filter accepts the
token ``X-Auth-Token: USER:PROJECT[:ROLE,ROLE...]`` without checking
anything and sets the headers that keystonemiddleware sets after validating
a real token; the stock context middleware behind it (Nova's
``keystonecontext``, Glance's ``context``) then builds the request context.
Default roles: ``admin,member,reader`` for USER ``admin``, ``member,reader``
for anyone else.  No token: 401.  Whoever can reach a service running this
filter is whoever they claim to be: never use it outside tests.
"""

import json

# Identity headers a client must not be able to set itself.
_IDENTITY = ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_SERVICE_IDENTITY_STATUS',
             'HTTP_X_USER_ID', 'HTTP_X_USER', 'HTTP_X_USER_NAME',
             'HTTP_X_USER_DOMAIN_ID', 'HTTP_X_USER_DOMAIN_NAME',
             'HTTP_X_PROJECT_ID', 'HTTP_X_TENANT_ID', 'HTTP_X_TENANT',
             'HTTP_X_PROJECT_NAME', 'HTTP_X_TENANT_NAME',
             'HTTP_X_PROJECT_DOMAIN_ID', 'HTTP_X_PROJECT_DOMAIN_NAME',
             'HTTP_X_ROLES', 'HTTP_X_ROLE', 'HTTP_X_SERVICE_CATALOG',
             'HTTP_X_SYSTEM_SCOPE', 'HTTP_X_IS_ADMIN_PROJECT')


def identity(token):
    """``(user, project, roles)`` for a test token."""
    user, _, rest = token.partition(':')
    project, _, roles = rest.partition(':')
    project = project or user
    if not roles:
        roles = 'admin,member,reader' if user == 'admin' else 'member,reader'
    return user, project, roles


class TokenAuth(object):

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    def _unauthorized(self, start_response):
        body = json.dumps({'error': {
            'code': 401, 'title': 'Unauthorized',
            'message': 'X-Auth-Token USER:PROJECT required (test-only '
                       'token filter)'}}).encode()
        start_response('401 Unauthorized', [
            ('Content-Type', 'application/json'),
            ('Content-Length', str(len(body)))])
        return [body]

    def __call__(self, environ, start_response):
        for key in _IDENTITY:
            environ.pop(key, None)
        token = environ.get('HTTP_X_AUTH_TOKEN', '').strip()
        if not token:
            return self._unauthorized(start_response)
        user, project, roles = identity(token)
        environ.update({
            'HTTP_X_IDENTITY_STATUS': 'Confirmed',
            'HTTP_X_USER_ID': user, 'HTTP_X_USER_NAME': user,
            'HTTP_X_USER': user,
            'HTTP_X_USER_DOMAIN_ID': 'default',
            'HTTP_X_USER_DOMAIN_NAME': 'Default',
            'HTTP_X_PROJECT_ID': project, 'HTTP_X_PROJECT_NAME': project,
            'HTTP_X_TENANT_ID': project, 'HTTP_X_TENANT_NAME': project,
            'HTTP_X_PROJECT_DOMAIN_ID': 'default',
            'HTTP_X_PROJECT_DOMAIN_NAME': 'Default',
            'HTTP_X_ROLES': roles,
        })
        return self.app(environ, start_response)


def filter_factory(global_conf, **local_conf):
    def _filter(app):
        return TokenAuth(app, local_conf)
    return _filter
