"""The local directory image source, on a real temporary directory."""

import hashlib
import json
import os

import fixtures
import testtools

from aggregates_ext import exception
from aggregates_ext.image import local

IMAGE_ID = '6c5f0a4e-54c1-4c0e-9b47-1d2bd6b6b2c3'


class LocalImageAPITestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.store_dir = os.path.join(self.root, 'images')
        self.api = local.LocalImageAPI(self.store_dir, chunk_size=4096)

    def _source(self, data, name='source.img'):
        path = os.path.join(self.root, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def test_register_hashes_and_stores_image(self):
        data = os.urandom(10000)
        meta = self.api.register(self._source(data), image_id=IMAGE_ID,
                                 disk_format='qcow2')
        self.assertEqual({
            'id': IMAGE_ID, 'size': len(data), 'disk_format': 'qcow2',
            'checksum': hashlib.md5(data).hexdigest(),
            'os_hash_algo': 'sha512',
            'os_hash_value': hashlib.sha512(data).hexdigest(),
            'status': 'active'}, meta)
        self.assertEqual(meta, self.api.get(None, IMAGE_ID))
        self.assertEqual(sorted([IMAGE_ID, IMAGE_ID + '.json']),
                         sorted(os.listdir(self.store_dir)))

    def test_register_without_id_makes_a_uuid(self):
        meta = self.api.register(self._source(b'abc'))
        self.assertEqual(36, len(meta['id']))
        self.assertEqual(meta, self.api.get(None, meta['id']))

    def test_register_existing_id_refused(self):
        self.api.register(self._source(b'one'), image_id=IMAGE_ID)
        self.assertRaises(FileExistsError, self.api.register,
                          self._source(b'two'), image_id=IMAGE_ID)
        self.assertEqual(b'one', b''.join(self.api.download(None, IMAGE_ID)))

    def test_register_bad_id_refused_before_any_path(self):
        source = self._source(b'data')
        for bad in ('../escape', IMAGE_ID.upper(), IMAGE_ID.replace('-', ''),
                    '/tmp/abs'):
            self.assertRaises(ValueError, self.api.register, source,
                              image_id=bad)
        self.assertFalse(os.path.exists(self.store_dir))
        self.assertEqual(['source.img'], os.listdir(self.root))

    def test_register_missing_source_leaves_nothing(self):
        self.assertRaises(FileNotFoundError, self.api.register,
                          os.path.join(self.root, 'nope'), image_id=IMAGE_ID)
        self.assertEqual([], os.listdir(self.store_dir))

    def test_download_streams_in_chunks(self):
        data = os.urandom(4096 * 2 + 10)
        self.api.register(self._source(data), image_id=IMAGE_ID)
        chunks = list(self.api.download(None, IMAGE_ID, chunk_size=4096))
        self.assertEqual([4096, 4096, 10], [len(c) for c in chunks])
        self.assertEqual(data, b''.join(chunks))

    def test_download_default_chunk_size(self):
        data = os.urandom(5000)
        self.api.register(self._source(data), image_id=IMAGE_ID)
        chunks = list(self.api.download(None, IMAGE_ID))
        self.assertEqual([4096, 904], [len(c) for c in chunks])

    def test_get_unknown_image_not_found(self):
        self.assertRaises(exception.ImageNotFound, self.api.get, None,
                          IMAGE_ID)

    def test_download_unknown_image_not_found_at_call(self):
        # Raised by download() itself, not by the first next().
        self.assertRaises(exception.ImageNotFound, self.api.download, None,
                          IMAGE_ID)

    def test_download_without_data_file_not_found(self):
        self.api.register(self._source(b'abc'), image_id=IMAGE_ID)
        os.unlink(os.path.join(self.store_dir, IMAGE_ID))
        self.assertRaises(exception.ImageNotFound, self.api.download, None,
                          IMAGE_ID)

    def test_get_bad_id_not_found_without_touching_files(self):
        outside = os.path.join(self.root, 'secret.json')
        with open(outside, 'w') as f:
            json.dump({'id': 'secret', 'status': 'active'}, f)
        for bad in ('../secret', IMAGE_ID.upper(), '', None, 42):
            self.assertRaises(exception.ImageNotFound, self.api.get, None,
                              bad)
            self.assertRaises(exception.ImageNotFound, self.api.download,
                              None, bad)

    def test_get_corrupt_metadata_service_unavailable(self):
        os.makedirs(self.store_dir)
        with open(os.path.join(self.store_dir, IMAGE_ID + '.json'), 'w') as f:
            f.write('{not json')
        self.assertRaises(exception.ImageServiceUnavailable, self.api.get,
                          None, IMAGE_ID)
