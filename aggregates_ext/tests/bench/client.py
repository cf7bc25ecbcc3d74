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

"""The in-process benchmarks' client, and its own cost.

requests through wsgi-intercept (no socket), the kind of client Nova's
functional tests drive nova-api with, so that the client costs the same on
both sides of the comparison.  Measuring that cost: ``CannedApp``, a WSGI
application that does nothing but answer with a recorded response, behind
the same client.

This module imports only the standard library, requests and wsgi-intercept
so that it also runs, as a script, under the Nova peer's venv:

    python client.py CANNED.json [--reps 200]

prints, as JSON, the client's cost per phase there (``CANNED.json`` is what
``aggregates_ext.tests.bench.inprocess`` records).
"""

import argparse
import contextlib
import json
import statistics
import sys
import time

import requests
import wsgi_intercept
from wsgi_intercept import requests_intercept

HOST = 'aggregates-ext.bench'
PORT = 80
ENDPOINT = 'http://%s:%d/v2.1' % (HOST, PORT)
ADMIN_TOKEN = 'admin:admin'


class BenchError(Exception):
    """A step of the benchmark did not do what it should."""


def stats(samples_s):
    """p50/p95/max in ms and ops/s (= count / summed latency)."""
    ms = sorted(s * 1000.0 for s in samples_s)
    total = sum(samples_s)

    def pct(q):
        if not ms:
            return None
        k = min(len(ms) - 1, max(0, int(round(q * (len(ms) - 1)))))
        return round(ms[k], 3)
    return {
        'n': len(ms),
        'total_s': round(total, 4),
        'ops_per_s': round(len(ms) / total, 1) if total else None,
        'mean_ms': round(statistics.mean(ms), 3) if ms else None,
        'p50_ms': pct(0.5), 'p95_ms': pct(0.95), 'max_ms': pct(1.0),
    }


class Client:
    """JSON requests to the API at microversion 2.81, as the admin.

    The last exchange is kept (``last``) so that a phase can record what
    its requests and responses look like for ``CannedApp``.
    """

    def __init__(self, version='2.81', token=ADMIN_TOKEN):
        self.headers = {'X-Auth-Token': token,
                        'X-OpenStack-Nova-API-Version': version,
                        'Accept': 'application/json'}
        self.last = None

    def request(self, method, path, body=None, expect=(200,)):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        resp = requests.request(method, ENDPOINT + path, data=data,
                                headers=headers)
        if resp.status_code not in expect:
            raise BenchError('%s %s: %s %s' % (method, path,
                                               resp.status_code,
                                               resp.text[:300]))
        self.last = {'method': method, 'path': path, 'body': body,
                     'status': resp.status_code,
                     'headers': [[k, v] for k, v in resp.headers.items()
                                 if k.lower() != 'content-length'],
                     'response': resp.text}
        return resp.json() if resp.content else None


class Switch:
    """A WSGI application that forwards to whichever app is set."""

    def __init__(self, app=None):
        self.app = app

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class CannedApp:
    """Answers every request with one recorded response, doing nothing else.

    It reads the request body, as any server does, so that what remains
    is the client's own cost (requests, wsgi-intercept, JSON).
    """

    def __init__(self, recorded):
        body = recorded['response'].encode('utf-8')
        self.status = '%d %s' % (recorded['status'], {
            200: 'OK', 202: 'Accepted'}.get(recorded['status'], 'OK'))
        self.headers = [(k, v) for k, v in recorded['headers']]
        self.headers.append(('Content-Length', str(len(body))))
        self.body = body

    def __call__(self, environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        if length:
            environ['wsgi.input'].read(length)
        start_response(self.status, self.headers)
        return [self.body]


@contextlib.contextmanager
def intercepted(app):
    """Route the client's requests to ``app`` in this process."""
    requests_intercept.install()
    wsgi_intercept.add_wsgi_intercept(HOST, PORT, lambda: app)
    try:
        yield
    finally:
        wsgi_intercept.remove_wsgi_intercept(HOST, PORT)
        requests_intercept.uninstall()


def client_cost(canned, reps, switch=None):
    """The client's own latency per phase, against ``CannedApp``.

    :param canned: {phase: recorded exchange}, as ``Client.last`` has it
    :param switch: the ``Switch`` already intercepted; None to intercept
        one here
    :returns: {phase: stats()}
    """
    own = switch is None
    switch = switch or Switch()
    client = Client()
    results = {}
    with intercepted(switch) if own else contextlib.nullcontext():
        for phase, recorded in canned.items():
            switch.app = CannedApp(recorded)
            samples = []
            for _ in range(reps):
                t0 = time.perf_counter()
                client.request(recorded['method'], recorded['path'],
                               recorded['body'],
                               expect=(recorded['status'],))
                samples.append(time.perf_counter() - t0)
            results[phase] = stats(samples)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('canned', help='recorded exchanges (JSON)')
    parser.add_argument('--reps', type=int, default=200)
    args = parser.parse_args(argv)
    with open(args.canned) as f:
        canned = json.load(f)
    print(json.dumps({'client_cost': client_cost(canned, args.reps),
                      'requests': requests.__version__,
                      'python': sys.version.split()[0]}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
