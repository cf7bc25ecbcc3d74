"""The image cache driver interface, and the shared file-cache flow."""

import contextlib
import os

from oslo_log import log as logging

from aggregates_ext.compute.image_cache import fetch
from aggregates_ext import exception
from aggregates_ext.image import ids

LOG = logging.getLogger(__name__)


class ImageCacheDriver:
    """Puts images into a compute host's image cache.

    The compute agent maps the outcome of ``cache_image`` to the per-image
    result of a pre-cache request, as Nova's compute manager does: True is
    ``cached``, False ``existing``, ``NotImplementedError`` ``unsupported``
    and any other exception ``error``.
    """

    def __init__(self, conf, image_api):
        self.conf = conf
        self.image_api = image_api

    def cache_image(self, context, image_id, progress=None):
        """Make sure ``image_id`` is in this host's image cache.

        :param progress: optional ``progress(bytes_done, bytes_total)``,
            called as a download goes on
        :returns: True when the image was downloaded now, False when it
            was already cached.
        :raises NotImplementedError: this driver cannot cache images.
        """
        raise NotImplementedError()

    def cleanup_partials(self):
        """Remove downloads that a previous run left unfinished.

        Called once when the agent starts.

        :returns: the number of files removed.
        """
        return 0


class FileImageCacheDriver(ImageCacheDriver):
    """A cache of one file per image in one directory.

    Subclasses say where (``cache_dir``), under which name
    (``file_name``), and may refresh an existing file (``refresh``) or turn
    a verified download into the cached form (``stage``).
    """

    #: Suffixes of the temporary files of a download in progress.
    temp_suffixes = (fetch.PART_SUFFIX,)

    @contextlib.contextmanager
    def download_lock(self, name):
        """Try to take the lock that writers of cache file ``name`` hold.

        Yields True when taken (no other process writes that file: any
        temporary file of it is left over from a dead writer), False when
        another process holds it.  The default cache directory is ours
        alone, so there is nobody to exclude.
        """
        yield True

    @property
    def cache_dir(self):
        """The directory of cached images."""
        raise NotImplementedError()

    def file_name(self, image_id):
        """The file name of a canonical image id in ``cache_dir``."""
        raise NotImplementedError()

    def is_cache_name(self, name):
        """Whether ``name`` could be a file name that ``file_name`` gives."""
        raise NotImplementedError()

    def image_path(self, image_id):
        """The cache file of ``image_id``.

        :raises ValueError: ``image_id`` is not a canonical UUID; no path
            is built from it.
        """
        ids.require_canonical(image_id)
        return os.path.join(self.cache_dir, self.file_name(image_id))

    def refresh(self, path):
        """Mark an already cached file as just requested."""
        # A fresh mtime tells the cache's age-based cleanup that the image
        # is wanted.
        os.utime(path, None)

    def stage(self, part_path, meta):
        """Return the file to move into the cache from a verified download.

        The default caches the download as it is.
        """
        return part_path

    def cache_image(self, context, image_id, progress=None):
        """Download ``image_id`` into the cache unless it is there already.

        Overlapping requests for one image in this process download it
        once; the later ones wait and report it as existing.

        :returns: True when downloaded now, False when already cached.
        :raises ValueError: ``image_id`` is not a canonical UUID.
        :raises ImageCacheError: refused or failed verification.
        :raises ImageNotFound, ImageNotAuthorized, ImageServiceUnavailable:
            from the image service.
        """
        path = self.image_path(image_id)
        with fetch.path_lock(path):
            if os.path.exists(path):
                self.refresh(path)
                return False
            os.makedirs(self.cache_dir, exist_ok=True)
            with self.download_lock(os.path.basename(path)) as held:
                if not held:
                    raise exception.DownloadInProgress(image_id=image_id,
                                                       path=path)
                if os.path.exists(path):
                    self.refresh(path)
                    return False
                LOG.info('Caching image %s into %s by request', image_id,
                         self.cache_dir)
                image_cache = self.conf.image_cache
                # Holding the lock, any temporary file is a dead writer's.
                fetch.fetch_to_file(
                    context, self.image_api, image_id, path,
                    chunk_size=self.conf.image.chunk_size,
                    max_image_size_mb=image_cache.max_image_size_mb,
                    reserved_disk_mb=image_cache.reserved_disk_mb,
                    stage=self.stage, progress=progress)
            return True

    def cleanup_partials(self):
        """Remove unfinished downloads of this driver from ``cache_dir``.

        Only files named like this driver's cache files plus a temporary
        suffix are considered, so files of other owners of the directory
        survive, and only when no live writer holds their download lock.

        :returns: the number of files removed.
        """
        try:
            names = os.listdir(self.cache_dir)
        except FileNotFoundError:
            return 0
        removed = 0
        for name in names:
            suffix = next((s for s in self.temp_suffixes
                           if name.endswith(s)), None)
            if suffix is None or not self.is_cache_name(name[:-len(suffix)]):
                continue
            path = os.path.join(self.cache_dir, name)
            with self.download_lock(name[:-len(suffix)]) as held:
                if not held:
                    continue
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    continue
            LOG.info('Removed unfinished download %s', path)
            removed += 1
        return removed
