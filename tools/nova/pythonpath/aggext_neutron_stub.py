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

"""TEST ONLY: the smallest Neutron API that Nova 34 needs for servers.

Nova asks Neutron about ports, networks and security groups when it boots
(even with no network: it lists the networks it could use), shows and
deletes a server.  Here every collection (``GET /v2.0/<things>``) is
empty, a project's quota (``GET /v2.0/quotas/<id>``) is unlimited, any
other single resource is a 404 and any write a 501.  No authentication.
Every request is appended to ``$NEUTRON_STUB_LOG`` when set.
"""

import json
import os


def _reply(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(status, [('Content-Type', 'application/json'),
                            ('Content-Length', str(len(data)))])
    return [data]


def _error(kind, message):
    return {'NeutronError': {'type': kind, 'message': message,
                             'detail': ''}}


def application(environ, start_response):
    method = environ['REQUEST_METHOD']
    path = environ.get('PATH_INFO', '/').rstrip('/')
    log = os.environ.get('NEUTRON_STUB_LOG')
    if log:
        with open(log, 'a') as f:
            f.write('%s %s?%s\n' % (method, path,
                                    environ.get('QUERY_STRING', '')))
    if path == '':
        host = environ.get('HTTP_HOST', '127.0.0.1')
        return _reply(start_response, '200 OK', {'versions': [{
            'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'rel': 'self', 'href': 'http://%s/v2.0/' % host}]}]})
    if method != 'GET':
        return _reply(start_response, '501 Not Implemented',
                      _error('NotImplemented', 'neutron stub: read only'))
    if not path.startswith('/v2.0/'):
        return _reply(start_response, '404 Not Found',
                      _error('NotFound', 'neutron stub: %s' % path))
    parts = path[len('/v2.0/'):].split('/')
    collection = parts[0].replace('.json', '').replace('-', '_')
    if len(parts) == 1:
        return _reply(start_response, '200 OK', {collection: []})
    if collection == 'quotas':
        return _reply(start_response, '200 OK', {'quota': {
            'network': -1, 'subnet': -1, 'port': -1, 'router': -1,
            'floatingip': -1, 'security_group': -1,
            'security_group_rule': -1}})
    return _reply(start_response, '404 Not Found',
                  _error('NotFound', 'neutron stub: no %s' % path))
