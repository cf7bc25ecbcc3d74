"""A driver for hosts that cannot cache images.

Like a Nova virt driver without image pre-caching, it makes the agent
report every image as ``unsupported`` instead of failing the request.
"""

from aggregates_ext.compute.image_cache import base


class UnsupportedDriver(base.ImageCacheDriver):
    """Refuses every image with ``NotImplementedError``."""

    def cache_image(self, context, image_id, progress=None):
        """Always raise: this host has no image cache.

        :raises NotImplementedError: always.
        """
        raise NotImplementedError(
            'Image pre-caching is not supported on this host')
