"""Options of the ``[DEFAULT]`` group that the compute agent reads.

They carry the names and defaults of nova-compute's options on purpose:
the agent runs next to nova-compute and must put pre-cached images where
nova-compute's libvirt driver looks for them, so a deployer copies the
values from ``nova.conf``.
"""

from oslo_config import cfg

compute_opts = [
    cfg.StrOpt(
        'instances_path',
        default='$state_path/instances',
        sample_default='$state_path/instances',
        help="""
Directory where nova-compute keeps instance disks and, below it, its image
cache.

Must be the same value as ``[DEFAULT] instances_path`` in the ``nova.conf``
of the nova-compute service on this host, or the ``libvirt`` image cache
driver fills a directory that nova-compute never reads.

Related options:

* ``[image_cache] subdirectory_name``: the cache directory below this one.
* ``[image_cache] driver``: only the ``libvirt`` driver reads this option.
"""),
    cfg.BoolOpt(
        'force_raw_images',
        default=True,
        help="""
Convert pre-cached images that are not raw to raw, with ``qemu-img``.

Must match ``[DEFAULT] force_raw_images`` of nova-compute on this host:
nova-compute expects the files of its image cache in that form.  Needs the
``qemu-img`` command on the host when images are not raw.

Related options:

* ``[image_cache] driver``: only the ``libvirt`` driver reads this option.
* ``[image_cache] reserved_disk_mb``: a converted image takes its full
  virtual size on disk, which is checked against this reserve too.
"""),
]


def register_opts(conf):
    conf.register_opts(compute_opts)


def list_opts():
    return {'DEFAULT': compute_opts}
