"""The API reference's samples are what the API answers.

Each test drives the real Paste app through the story the samples tell
(request samples are sent as they are) and compares every response with
its sample file, after the parts that vary from run to run (UUIDs,
timestamps, request ids, the conductor's name, byte counts of a download)
are replaced on both sides.  A sample that drifts from the API fails here.
After a deliberate change, rerun with AGGREGATES_EXT_REGENERATE_SAMPLES=1:
files whose normalised content differs are rewritten from the response,
to review in the diff.
"""

import json
import os
import re

from aggregates_ext.tests import fixtures as agg_fixtures
from aggregates_ext.tests.unit.api import base
from aggregates_ext.tests.unit import test_precache_flow as flow

SAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                       'api-ref', 'source', 'samples')
UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}$')
VARYING = {
    'created_at': '<time>', 'updated_at': '<time>', 'started_at': '<time>',
    'finished_at': '<time>', 'deleted_at': '<time>',
    'request_id': '<request id>', 'conductor': '<conductor>',
    'bytes_done': '<bytes>', 'bytes_total': '<bytes>',
}
REGENERATE = os.environ.get('AGGREGATES_EXT_REGENERATE_SAMPLES') == '1'


def normalise(value, key=None):
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if key in ('bytes_done', 'bytes_total'):
        # Known only if a progress report came before the end (timing).
        return VARYING[key]
    if key in VARYING and value is not None:
        return VARYING[key]
    if isinstance(value, str) and UUID.match(value):
        return '<uuid>'
    return value


class SampleMixin:

    def sample(self, name):
        with open(os.path.join(SAMPLES, name)) as f:
            return json.load(f)

    def assertSample(self, name, resp, status=200):
        self.assertEqual(status, resp.status_int, resp.body)
        actual = resp.json_body_or_none
        path = os.path.join(SAMPLES, name)
        expected = self.sample(name)
        if REGENERATE and normalise(expected) != normalise(actual):
            with open(path, 'w') as f:
                json.dump(actual, f, indent=4)
                f.write('\n')
            return
        self.assertEqual(normalise(expected), normalise(actual), name)

    def send(self, method, path, request_sample, version=None):
        return self.req(method, path, self.sample(request_sample),
                        version=version)


class TestAggregateSamples(SampleMixin, base.APITestCase):
    """create, add_host, set_metadata, update, show, list, remove_host."""

    def story(self, prefix, version):
        agg_fixtures.register_host('compute-01')
        d = 'os-aggregates/'
        self.assertSample(prefix + 'aggregate-post-resp.json', self.send(
            'POST', '/os-aggregates', d + 'aggregate-post-req.json',
            version))
        self.assertSample(
            prefix + 'aggregate-add-host-post-resp.json', self.send(
                'POST', '/os-aggregates/1/action',
                d + 'aggregate-add-host-post-req.json', version))
        self.assertSample(
            prefix + 'aggregate-metadata-post-resp.json', self.send(
                'POST', '/os-aggregates/1/action',
                d + 'aggregate-metadata-post-req.json', version))
        self.assertSample(
            prefix + 'aggregate-update-put-resp.json', self.send(
                'PUT', '/os-aggregates/1',
                d + 'aggregate-update-put-req.json', version))
        self.assertSample(prefix + 'aggregate-get-resp.json', self.req(
            'GET', '/os-aggregates/1', version=version))
        self.create('spare', version=version)
        self.assertSample(prefix + 'aggregates-list-get-resp.json',
                          self.req('GET', '/os-aggregates',
                                   version=version))
        self.assertSample(
            prefix + 'aggregate-remove-host-post-resp.json', self.send(
                'POST', '/os-aggregates/1/action',
                d + 'aggregate-remove-host-post-req.json', version))

    def test_v2_1(self):
        self.story('os-aggregates/', None)

    def test_v2_41(self):
        self.story('os-aggregates/v2.41/', '2.41')


class TestHostSamples(SampleMixin, base.APITestCase):
    """The host views: one registered compute host, reporting."""

    def test_host_views(self):
        from oslo_utils import timeutils
        agg_fixtures.register_host('compute-1', version=1,
                                   last_seen_up=timeutils.utcnow())
        for name, path, version in [
                ('os-services/services-list-get-resp.json',
                 '/os-services', None),
                ('os-services/v2.53/services-list-get-resp.json',
                 '/os-services', '2.53'),
                ('os-hypervisors/hypervisors-list-resp.json',
                 '/os-hypervisors', None),
                ('os-hypervisors/v2.53/hypervisors-list-resp.json',
                 '/os-hypervisors', '2.53'),
                ('os-hypervisors/hypervisors-detail-resp.json',
                 '/os-hypervisors/detail', None),
                ('os-hypervisors/v2.88/hypervisors-detail-resp.json',
                 '/os-hypervisors/detail', '2.88')]:
            self.assertSample(name, self.req('GET', path, version=version))


class TestVersionSamples(SampleMixin, base.APITestCase):

    def test_versions(self):
        host = {'Host': 'openstack.example.com'}
        self.assertSample('versions/versions-get-resp.json',
                          self.api.request('GET', '/', headers=host))
        self.assertSample('versions/v21-version-get-resp.json',
                          self.api.request('GET', '/v2.1', headers=host))


class TestPrecacheSamples(SampleMixin, flow.PrecacheTestCase):
    """POST .../images with the request sample, then list and show."""

    def test_precache_request(self):
        body = self.sample('os-aggregates/v2.81/'
                           'aggregate-images-post-req.json')
        for entry in body['cache']:
            self.register(entry['id'], agg_fixtures.raw_image_data(4096))
        agg = self.aggregate_with(self.cloud.agent_names)
        self.assertEqual(1, agg['id'])
        resp = self.send('POST', '/os-aggregates/1/images',
                         'os-aggregates/v2.81/aggregate-images-post-req.json',
                         '2.81')
        self.assertEqual((202, b''), (resp.status_int, resp.body))
        self.wait_for_request(1)
        listed = self.req('GET', '/os-aggregates/1/precache-requests',
                          version='2.81')
        self.assertSample('os-aggregates/v2.81/'
                          'precache-requests-list-resp.json', listed)
        request_uuid = listed.json_body_or_none['precache_requests'][0]['id']
        self.assertSample(
            'os-aggregates/v2.81/precache-request-show-resp.json',
            self.req('GET', '/os-aggregates/1/precache-requests/%s'
                     % request_uuid, version='2.81'))
