"""A plain directory image cache: ``<directory>/<image id>``.

For hosts without nova-compute (a stand-alone cache, development, the
all-in-one service) where no other program's layout has to be matched.
"""

from aggregates_ext.compute.image_cache import base
from aggregates_ext.image import ids


class DirectoryDriver(base.FileImageCacheDriver):
    """Caches each image as a file named after its id."""

    def __init__(self, conf, image_api, directory=None):
        """Cache into ``directory``, by default ``[image_cache] directory``.

        The argument lets several agents in one process (the all-in-one
        service) keep separate caches.
        """
        super().__init__(conf, image_api)
        self._directory = directory

    @property
    def cache_dir(self):
        """``directory`` or ``[image_cache] directory``."""
        return self._directory or self.conf.image_cache.directory

    def file_name(self, image_id):
        """The canonical image id itself."""
        return ids.require_canonical(image_id)

    def is_cache_name(self, name):
        """Whether ``name`` is a canonical image id."""
        return ids.is_canonical(name)
