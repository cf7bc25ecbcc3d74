"""Image sources: where the API checks images and agents download them.

``[image] source`` picks one: ``glance`` (Glance v2 through keystoneauth1;
the default) or ``local`` (a directory of image files; the all-in-one
service's embedded default).
"""

from aggregates_ext import conf

CONF = conf.CONF


def get_image_api(conf=CONF):
    if conf.image.source == 'local':
        from aggregates_ext.image import local
        return local.LocalImageAPI(conf.image.local_directory)
    from aggregates_ext.image import glance
    return glance.GlanceImageAPI(conf)
