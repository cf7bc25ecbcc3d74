"""The image cache of nova-compute's libvirt driver.

nova-compute's libvirt driver boots instances from base images in
``<[DEFAULT] instances_path>/<[image_cache] subdirectory_name>/``, each named
by the lower-case hex SHA-1 of the image id.  An image pre-cached there under
that name is found at boot and not downloaded again; its mtime feeds
nova-compute's age-based cache cleanup.
"""

import contextlib
import hashlib
import os
import re
import shutil

from oslo_concurrency import lockutils
from oslo_concurrency import processutils
from oslo_log import log as logging
from oslo_utils import imageutils
from oslo_utils.imageutils import format_inspector
from oslo_utils import units

from aggregates_ext.compute.image_cache import base
from aggregates_ext.compute.image_cache import fetch
from aggregates_ext import exception
from aggregates_ext.image import ids

LOG = logging.getLogger(__name__)

_SHA1_HEX = re.compile(r'\A[0-9a-f]{40}\Z')

# Glance disk formats whose data is a raw disk (or a file used as is):
# nothing to inspect or convert.
RAW_FORMATS = frozenset(['raw', 'iso', 'ami', 'ari', 'aki'])
# Glance disk format -> qemu-img format name.
QEMU_FORMATS = {'qcow2': 'qcow2', 'vmdk': 'vmdk', 'vdi': 'vdi',
                'vhd': 'vpc', 'vhdx': 'vhdx', 'ploop': 'parallels'}
# VMDK subformats that hold their data in the file itself; the others are
# descriptors that can point qemu-img at any file of the host.
VMDK_ALLOWED_TYPES = frozenset(['streamOptimized', 'monolithicSparse'])
CONVERTED_SUFFIX = '.converted'
# What oslo.utils' format inspector may find in a file of a Glance disk
# format.  Raw-like images may hold a partition table or an ISO 9660
# filesystem; anything else (a qcow2 labelled raw, say) is refused.
_RAW_CONTENT = frozenset(['raw', 'gpt', 'iso'])
DETECTED_FORMATS = dict(
    {fmt: _RAW_CONTENT for fmt in RAW_FORMATS},
    qcow2={'qcow2'}, vmdk={'vmdk'}, vdi={'vdi'}, vhd={'vhd'},
    vhdx={'vhdx'}, ploop={'ploop', 'raw'})
# qemu-img info only reads headers: a run that needs more memory or CPU
# than this is a hostile image (the limits Nova gives it too).
QEMU_IMG_INFO_LIMITS = processutils.ProcessLimits(address_space=1 * units.Gi,
                                                  cpu_time=30)
# nova-compute's lock names: oslo.concurrency's external lock
# ``<instances_path>/locks/nova-<name>``.
NOVA_LOCK_PREFIX = 'nova-'


class LibvirtDriver(base.FileImageCacheDriver):
    """Caches images where nova-compute's libvirt driver looks for them."""

    temp_suffixes = (fetch.PART_SUFFIX, CONVERTED_SUFFIX)

    @contextlib.contextmanager
    def download_lock(self, name):
        """nova-compute's own lock on a base file, taken without waiting.

        nova-compute writes the same temporary names into this directory
        while it downloads an image for a boot, holding the external lock
        ``<instances_path>/locks/nova-<file name>`` (a POSIX record lock).
        Taking that same lock keeps us from writing at the same time as
        nova-compute or as another agent process, and tells a dead
        writer's leftovers from a live download at once.
        """
        lock_dir = os.path.join(self._instances_path or
                                self.conf.instances_path, 'locks')
        lock = lockutils.external_lock(name, lock_file_prefix=NOVA_LOCK_PREFIX,
                                       lock_path=lock_dir)
        if not lock.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def __init__(self, conf, image_api, instances_path=None):
        """Cache below ``instances_path``, by default the option's value.

        The argument lets several agents in one process (the all-in-one
        service) keep separate caches.
        """
        super().__init__(conf, image_api)
        self._instances_path = instances_path

    @property
    def cache_dir(self):
        """``<[DEFAULT] instances_path>/<[image_cache] subdirectory_name>``."""
        return os.path.join(self._instances_path or self.conf.instances_path,
                            self.conf.image_cache.subdirectory_name)

    def file_name(self, image_id):
        """Lower-case hex SHA-1 of the image id, as nova-compute names it."""
        ids.require_canonical(image_id)
        return hashlib.sha1(image_id.encode('utf-8'),
                            usedforsecurity=False).hexdigest()

    def is_cache_name(self, name):
        """Whether ``name`` is a SHA-1 hex digest."""
        return _SHA1_HEX.match(name) is not None

    def stage(self, part_path, meta):
        """Inspect a non-raw download and, with force_raw_images, convert.

        Images with a backing file, an external data file or a VMDK
        descriptor are refused: qemu-img and the hypervisor would read
        host files they point to.

        :raises ImageNotCacheable: unknown disk format, unsafe image, or
            ``qemu-img`` missing.
        :raises InsufficientDiskSpace: the raw copy would eat into the
            reserve.
        """
        disk_format = meta.get('disk_format')
        image_id = meta['id']
        _inspect(part_path, disk_format, image_id)
        if disk_format in RAW_FORMATS:
            return part_path
        qemu_format = QEMU_FORMATS.get(disk_format)
        if qemu_format is None:
            raise exception.ImageNotCacheable(
                image_id=image_id,
                reason='unsupported disk format %s' % disk_format)
        qemu_img = shutil.which('qemu-img')
        if qemu_img is None:
            raise exception.ImageNotCacheable(
                image_id=image_id,
                reason='qemu-img is needed for %s images and was not found'
                       % disk_format)
        info = _qemu_img_info(qemu_img, part_path, qemu_format, image_id)
        _check_safe(info, qemu_format, image_id)
        if not self.conf.force_raw_images:
            return part_path

        fetch.check_disk_space(os.path.dirname(part_path), image_id,
                               int(info.virtual_size or 0),
                               self.conf.image_cache.reserved_disk_mb)
        converted = part_path[:-len(fetch.PART_SUFFIX)] + CONVERTED_SUFFIX
        try:
            _execute(image_id, qemu_img, 'convert', '-f', qemu_format,
                     '-O', 'raw', part_path, converted)
            # qemu-img does not promise the data is on disk when it exits.
            fd = os.open(converted, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            fetch.remove_quietly(converted)
            raise
        LOG.info('Converted image %s from %s to raw in %s', image_id,
                 disk_format, converted)
        return converted


def _execute(image_id, *cmd, **kwargs):
    """Run ``cmd`` (oslo.concurrency); its failure is the image's error."""
    try:
        out, _err = processutils.execute(*cmd, **kwargs)
    except processutils.ProcessExecutionError as e:
        raise exception.ImageCacheError(
            image_id=image_id,
            reason='%s failed (exit %s): %s' % (
                ' '.join(cmd[:2]), e.exit_code, (e.stderr or '').strip()))
    return out


def _inspect(path, disk_format, image_id):
    """Check that the file is what its disk format says, and is safe.

    Every format, raw included: a qcow2 or VMDK with a backing file that
    is labelled raw would otherwise land in the cache as it is, and
    nova-compute, finding the base file there, would not fetch (and so not
    inspect) it again.

    :raises ImageNotCacheable: format mismatch or failed safety checks.
    """
    try:
        inspector = format_inspector.detect_file_format(path)
        detected = inspector.NAME if inspector is not None else 'unknown'
        if detected not in DETECTED_FORMATS.get(disk_format, ()):
            raise exception.ImageNotCacheable(
                image_id=image_id,
                reason='its disk format is %s but its content is %s'
                       % (disk_format, detected))
        inspector.safety_check()
    except (format_inspector.ImageFormatError,
            format_inspector.SafetyCheckFailed) as exc:
        raise exception.ImageNotCacheable(
            image_id=image_id, reason='unsafe or unreadable image: %s' % exc)


def _qemu_img_info(qemu_img, path, qemu_format, image_id):
    # The format is given, never probed: probing lets a raw image that
    # starts with a qcow2 header be read as qcow2.
    out = _execute(image_id, qemu_img, 'info', '--output=json',
                   '-f', qemu_format, path, prlimit=QEMU_IMG_INFO_LIMITS)
    try:
        return imageutils.QemuImgInfo(out, format='json')
    except (ValueError, TypeError, AttributeError):
        raise exception.ImageCacheError(
            image_id=image_id, reason='unreadable qemu-img info output')


def _check_safe(info, qemu_format, image_id):
    def refuse(reason):
        raise exception.ImageNotCacheable(image_id=image_id, reason=reason)

    if info.file_format != qemu_format:
        refuse('qemu-img reads it as %s, the image service says %s'
               % (info.file_format, qemu_format))
    if info.backing_file:
        refuse('it has a backing file')
    specific = info.format_specific or {}
    data = specific.get('data') or {}
    if data.get('data-file'):
        refuse('it has an external data file')
    if qemu_format == 'vmdk':
        create_type = data.get('create-type')
        if create_type not in VMDK_ALLOWED_TYPES:
            refuse('VMDK type %s is not allowed' % create_type)
