"""A directory of image files, standing in for Glance on one machine.

The all-in-one service uses it so that its first run needs no image
service.  It has the interface and the exceptions of ``GlanceImageAPI``,
and its metadata has the fields of a Glance v2 image that the pre-cache
path reads, with the hashes Glance computes, so that the image cache
verifies downloads the same way whichever source is configured.

Layout: ``<directory>/<image id>`` holds the data,
``<directory>/<image id>.json`` the metadata.  The metadata file is written
last, so an image without one is not there.
"""

import hashlib
import json
import os
import tempfile
import uuid

from oslo_log import log as logging

from aggregates_ext import exception
from aggregates_ext.image import ids

LOG = logging.getLogger(__name__)

HASH_ALGO = 'sha512'
DEFAULT_CHUNK_SIZE = 1024 * 1024

_METADATA_FIELDS = ('id', 'size', 'disk_format', 'checksum',
                    'os_hash_algo', 'os_hash_value', 'status')


class LocalImageAPI:
    """Images stored as files in ``directory``."""

    def __init__(self, directory, chunk_size=DEFAULT_CHUNK_SIZE):
        self.directory = directory
        self.chunk_size = chunk_size

    def _paths(self, image_id):
        # Unknown spellings are simply not in this store: they never become
        # a path, and the caller sees the same error as for a missing image.
        if not ids.is_canonical(image_id):
            raise exception.ImageNotFound(image_id=image_id)
        data = os.path.join(self.directory, image_id)
        return data, data + '.json'

    def register(self, path, image_id=None, disk_format='raw'):
        """Copy the file at ``path`` into the store as a new active image.

        The data is hashed while it is copied (MD5 ``checksum`` and SHA-512
        ``os_hash_value``, as Glance does), so a large file is read once.

        :param image_id: the id to give the image; a new UUID by default.
        :raises ValueError: ``image_id`` is not a canonical UUID.
        :raises FileExistsError: the store already has this image.
        :returns: the image's metadata, as ``get`` returns it.
        """
        image_id = ids.require_canonical(image_id or str(uuid.uuid4()))
        data_path, meta_path = self._paths(image_id)
        os.makedirs(self.directory, exist_ok=True)
        if os.path.exists(meta_path) or os.path.exists(data_path):
            raise FileExistsError('Image %s already exists' % image_id)

        md5 = hashlib.md5(usedforsecurity=False)
        os_hash = hashlib.new(HASH_ALGO)
        size = 0
        part = data_path + '.part'
        try:
            with open(path, 'rb') as src, open(part, 'xb') as dst:
                for chunk in iter(lambda: src.read(self.chunk_size), b''):
                    md5.update(chunk)
                    os_hash.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                dst.flush()
                os.fsync(dst.fileno())
            os.rename(part, data_path)
        except BaseException:
            _remove_quietly(part)
            raise

        meta = {'id': image_id, 'size': size, 'disk_format': disk_format,
                'checksum': md5.hexdigest(), 'os_hash_algo': HASH_ALGO,
                'os_hash_value': os_hash.hexdigest(), 'status': 'active'}
        try:
            _write_json_atomically(meta_path, meta)
        except BaseException:
            _remove_quietly(data_path)
            raise
        LOG.info('Registered image %s (%d bytes) in %s',
                 image_id, size, self.directory)
        return dict(meta)

    def get(self, context, image_id):
        """The metadata of an image.

        :raises ImageNotFound: no such image (or not a canonical id).
        :raises ImageNotAuthorized: the store is not readable.
        :raises ImageServiceUnavailable: the store cannot be read.
        """
        _, meta_path = self._paths(image_id)
        try:
            with open(meta_path, encoding='utf-8') as f:
                meta = json.load(f)
        except FileNotFoundError:
            raise exception.ImageNotFound(image_id=image_id)
        except PermissionError:
            raise exception.ImageNotAuthorized(image_id=image_id)
        except (OSError, ValueError) as e:
            raise exception.ImageServiceUnavailable(
                reason='cannot read metadata of image %s: %s' % (image_id, e))
        return {field: meta.get(field) for field in _METADATA_FIELDS}

    def list(self, context):
        """The metadata of every image in the store, by id."""
        try:
            names = sorted(os.listdir(self.directory))
        except FileNotFoundError:
            return []
        images = []
        for name in names:
            image_id, ext = os.path.splitext(name)
            if ext == '.json' and ids.is_canonical(image_id):
                try:
                    images.append(self.get(context, image_id))
                except exception.ImageNotFound:
                    continue
        return images

    def download(self, context, image_id, chunk_size=None):
        """Stream an image's data.

        The file is opened before this returns, so a missing image raises
        here rather than at the first chunk.  Close the returned iterator
        (or read it to the end) to close the file.

        :raises ImageNotFound: no such image.
        :raises ImageNotAuthorized: the image file is not readable.
        :raises ImageServiceUnavailable: the image file cannot be read.
        :returns: an iterator of ``bytes`` chunks of at most ``chunk_size``.
        """
        self.get(context, image_id)
        data_path, _ = self._paths(image_id)
        try:
            f = open(data_path, 'rb')
        except FileNotFoundError:
            raise exception.ImageNotFound(image_id=image_id)
        except PermissionError:
            raise exception.ImageNotAuthorized(image_id=image_id)
        except OSError as e:
            raise exception.ImageServiceUnavailable(
                reason='cannot read image %s: %s' % (image_id, e))
        return _read_chunks(f, image_id, chunk_size or self.chunk_size)


def _read_chunks(f, image_id, chunk_size):
    with f:
        while True:
            try:
                chunk = f.read(chunk_size)
            except OSError as e:
                raise exception.ImageServiceUnavailable(
                    reason='cannot read image %s: %s' % (image_id, e))
            if not chunk:
                return
            yield chunk


def _write_json_atomically(path, data):
    # Readers treat the metadata file as "the image exists", so it must
    # never be seen half written.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path),
                               prefix='.' + os.path.basename(path),
                               suffix='.tmp')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(data, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def _remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
