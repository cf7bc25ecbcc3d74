"""Options of the ``[image_cache]`` group: how hosts pre-cache images."""

from oslo_config import cfg

image_cache_group = cfg.OptGroup(
    'image_cache', title='Image cache options', help="""
How compute agents store pre-cached images, and how widely the conductor
fans a pre-cache request out.
""")

image_cache_opts = [
    cfg.StrOpt(
        'driver',
        default='libvirt',
        choices=[
            ('libvirt', 'The image cache of nova-compute\'s libvirt driver: '
                        '``<instances_path>/<subdirectory_name>/`` with the '
                        'SHA-1 of the image id as file name.'),
            ('directory', 'A plain directory, ``<directory>/<image id>``; '
                          'for hosts without nova-compute and for '
                          'development.'),
            ('unsupported', 'This host cannot cache images; every image '
                            'is reported as ``unsupported``, like a Nova '
                            'virt driver without image pre-caching.'),
        ],
        help="""
Image cache driver of the compute agent on this host.

Related options:

* ``[DEFAULT] instances_path``, ``subdirectory_name`` and
  ``[DEFAULT] force_raw_images``: read by the ``libvirt`` driver.
* ``directory``: read by the ``directory`` driver.
"""),
    cfg.StrOpt(
        'subdirectory_name',
        default='_base',
        help="""
Directory below ``[DEFAULT] instances_path`` where the ``libvirt`` driver
stores cached images.

Must be the same value as ``[image_cache] subdirectory_name`` of
nova-compute on this host.

Related options:

* ``[DEFAULT] instances_path``
* ``driver``: only the ``libvirt`` driver reads this option.
"""),
    cfg.StrOpt(
        'directory',
        default='$state_path/image-cache',
        sample_default='$state_path/image-cache',
        help="""
Directory of the ``directory`` image cache driver.

Related options:

* ``driver``: only the ``directory`` driver reads this option.
"""),
    cfg.IntOpt(
        'reserved_disk_mb',
        default=1024,
        min=0,
        help="""
Free disk space, in MiB, that must remain on the cache's file system after an
image is downloaded (and converted).

A download that would leave less is refused before it starts and the image
is reported as ``error``: pre-caching must not fill the disk that instances
run from.

Possible values:

* 0: only refuse images that do not fit at all.
* A positive number of MiB.

Related options:

* ``max_image_size_mb``
"""),
    cfg.IntOpt(
        'max_image_size_mb',
        default=0,
        min=0,
        help="""
Largest image, in MiB, that a host pre-caches.

Larger images are refused before the download starts and reported as
``error``.  A download is also stopped as soon as its data runs past the
size the image service announced, so a wrong size cannot get around the cap.

Possible values:

* 0: no cap (the default).
* A positive number of MiB.

Related options:

* ``reserved_disk_mb``
"""),
    cfg.IntOpt(
        'precache_concurrency',
        default=8,
        min=1,
        help="""
Number of compute hosts the conductor asks to cache images at the same time.

Nova's equivalent, ``[image_cache] precache_concurrency``, defaults to 1.
This service defaults to more because each host downloads on its own,
into its own disk, while the conductor only waits on RPC calls: a width of
1 makes a request take the sum of every host's download time.  The image
service is the one resource all hosts share, so the width stays bounded:
raise it when the image service (and its storage and network) can serve
that many downloads at once, lower it when pre-caching slows down the
image service for everyone else.

Possible values:

* An integer of at least 1.
"""),
    cfg.IntOpt(
        'progress_interval',
        default=3,
        min=1,
        help="""
Seconds between two progress reports of an agent's download (bytes done so
far), sent through the conductor into the pre-cache request's record.  A
report per chunk would load the broker and the database for nothing.
"""),
    cfg.IntOpt(
        'stall_seconds',
        default=30,
        min=1,
        help="""
A download without progress for this long shows as ``stalled`` in the
status of its pre-cache request.  Should be several
``progress_interval``.
"""),
]


def register_opts(conf):
    conf.register_group(image_cache_group)
    conf.register_opts(image_cache_opts, group=image_cache_group)


def list_opts():
    return {image_cache_group: image_cache_opts}
