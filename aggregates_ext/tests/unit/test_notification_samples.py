"""Emitted notifications must equal the samples in doc/notification_samples.

A deterministic scenario drives every notification the service sends;
each one is compared, envelope and payload, with the sample file of its
event type.  Only the aggregate's uuid varies between runs.  To rewrite
the samples after a deliberate change, run this test with
AGGREGATES_EXT_REGENERATE_SAMPLES=1 and review the diff.
"""

import json
import os
import time

from aggregates_ext.tests.unit import test_precache_flow as flow

SAMPLES = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'doc',
                       'notification_samples')
UUID = '00000000-0000-4000-8000-000000000001'


def sample_name(event_type):
    return event_type.replace('.', '-').replace('_', '-') + '.json'


class TestNotificationSamples(flow.PrecacheTestCase):
    AGENTS = 1

    def scenario(self):
        agg = self.create('agg1', az='az1')
        self.add_host(agg['id'], 'compute-0')
        self.action(agg['id'], 'set_metadata', {'metadata': {'k': 'v'}})
        self.req('PUT', '/os-aggregates/%s' % agg['id'],
                 {'aggregate': {'name': 'agg2'}})
        self.precache(agg['id'], [flow.IMAGE_ID])
        self.wait_for_request(agg['id'])
        deadline = time.monotonic() + 5
        while ('aggregate.cache_images.end' not in
               self.notifications.event_types() and
               time.monotonic() < deadline):
            time.sleep(0.05)
        self.action(agg['id'], 'remove_host', {'host': 'compute-0'})
        self.req('DELETE', '/os-aggregates/%s' % agg['id'])

    def normalised(self, notification):
        envelope = {'event_type': notification['event_type'],
                    'publisher_id': notification['publisher_id'],
                    'priority': 'INFO',
                    'payload': json.loads(json.dumps(
                        notification['payload']))}
        data = envelope['payload']['nova_object.data']
        if data.get('uuid'):
            data['uuid'] = UUID
        return envelope

    def test_emitted_notifications_match_samples(self):
        self.scenario()
        seen = {}
        for notification in self.notifications.sent:
            seen.setdefault(notification['event_type'],
                            self.normalised(notification))
        expected_types = {
            'aggregate.%s.%s' % (action, phase)
            for action in ('create', 'delete', 'add_host', 'remove_host',
                           'update_metadata', 'update_prop', 'cache_images')
            for phase in ('start', 'end')} | {
            'aggregate.cache_images.progress'}
        self.assertEqual(expected_types, set(seen))
        regenerate = os.environ.get('AGGREGATES_EXT_REGENERATE_SAMPLES')
        for event_type, envelope in sorted(seen.items()):
            path = os.path.join(SAMPLES, sample_name(event_type))
            if regenerate:
                with open(path, 'w') as f:
                    json.dump(envelope, f, indent=4, sort_keys=True)
                    f.write('\n')
            with open(path) as f:
                self.assertEqual(json.load(f), envelope, event_type)

    def test_every_sample_is_emitted(self):
        self.scenario()
        emitted = {sample_name(n['event_type'])
                   for n in self.notifications.sent}
        self.assertEqual(sorted(emitted), sorted(os.listdir(SAMPLES)))
