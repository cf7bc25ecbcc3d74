"""Options of the ``[image]`` group: where images come from."""

from oslo_config import cfg
from oslo_utils import units

image_group = cfg.OptGroup('image', title='Image source options', help="""
Where the API checks that an image exists and where compute agents download
images from when they pre-cache them.
""")

image_opts = [
    cfg.StrOpt(
        'source',
        default='glance',
        choices=[
            ('glance', 'The Glance v2 image service, found and authenticated '
                       'through the ``[glance]`` options.'),
            ('local', 'A directory of image files on this machine; for the '
                      'all-in-one service and development only.'),
        ],
        help="""
Image service that the API and the compute agents use.

Related options:

* ``[glance]``: endpoint and credentials of the ``glance`` source.
* ``local_directory``: the directory of the ``local`` source.
"""),
    cfg.StrOpt(
        'local_directory',
        default='$state_path/images',
        sample_default='$state_path/images',
        help="""
Directory of the ``local`` image source.

Each image is stored as ``<image id>`` (the data) and ``<image id>.json``
(its metadata).  Every process that reads images (API and compute agents)
must see the same directory, so this source only suits a single machine.

Related options:

* ``source``: only read when it is ``local``.
* ``[DEFAULT] state_path``: the default lives below it.
"""),
    cfg.IntOpt(
        'chunk_size',
        default=units.Mi,
        min=4 * units.Ki,
        help="""
Size in bytes of the chunks in which image data is read and written.

Memory used by one download is about one chunk, whatever the image size.
Larger chunks mean fewer system calls; smaller ones less memory per
concurrent download.

Possible values:

* An integer of at least 4096.
"""),
]


def register_opts(conf):
    conf.register_group(image_group)
    conf.register_opts(image_opts, group=image_group)


def list_opts():
    return {image_group: image_opts}
