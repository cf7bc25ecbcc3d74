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

"""TEST ONLY: a Paste filter that shows where it sits in nova-api.

Adds ``X-Aggext-Probe: <tag> path=<PATH_INFO> project=<id> admin=<bool>``
to every response, from ``environ['nova.context']`` (set by Nova's
``keystonecontext`` in front of it).  ``tag`` is the filter's local conf
option (default ``probe``).  Used by ``tools/nova/smoke.py`` to check that
a filter inserted by the deployment is really in both pipelines.
"""


def filter_factory(global_conf, **local_conf):
    tag = local_conf.get('tag', 'probe')

    def _filter(app):
        def probe(environ, start_response):
            ctx = environ.get('nova.context')
            value = '%s path=%s project=%s admin=%s' % (
                tag, environ.get('PATH_INFO', ''),
                getattr(ctx, 'project_id', None),
                getattr(ctx, 'is_admin', None))

            def _start_response(status, headers, exc_info=None):
                headers = list(headers) + [('X-Aggext-Probe', value)]
                return start_response(status, headers, exc_info)
            return app(environ, _start_response)
        return probe
    return _filter
