"""Image cache drivers of the compute agent.

``[image_cache] driver`` picks one; ``get_driver`` builds it.
"""

from aggregates_ext.compute.image_cache import directory
from aggregates_ext.compute.image_cache import libvirt
from aggregates_ext.compute.image_cache import unsupported

DRIVERS = {
    'libvirt': libvirt.LibvirtDriver,
    'directory': directory.DirectoryDriver,
    'unsupported': unsupported.UnsupportedDriver,
}


def get_driver(conf, image_api):
    """The image cache driver that ``[image_cache] driver`` names.

    :param conf: the configuration (``oslo_config.cfg.ConfigOpts``).
    :param image_api: the image source to download from
        (``aggregates_ext.image.get_image_api()``).
    :raises ValueError: unknown driver name (the option's choices make this
        a programming error).
    """
    name = conf.image_cache.driver
    try:
        driver_class = DRIVERS[name]
    except KeyError:
        raise ValueError('Unknown image cache driver %r' % name)
    return driver_class(conf, image_api)
