"""The safe download shared by the image cache drivers.

An image lands in the cache only complete and verified: it is streamed into
``<final>.part`` while its hash is computed, checked against the hash the
image service published, synced to disk and renamed into place.  A reader of
the cache (nova-compute booting from it) therefore sees either no file or
the whole, verified image, also across a crash.
"""

import contextlib
import errno
import hashlib
import os
import shutil

from oslo_concurrency import lockutils
from oslo_log import log as logging

from aggregates_ext import exception
from aggregates_ext.image import ids

LOG = logging.getLogger(__name__)

MiB = 1024 * 1024
PART_SUFFIX = '.part'

# Every this many bytes written, the kernel is told to write them out now
# and not to keep them cached (``_write_behind``).
WRITE_BEHIND_BYTES = 64 * MiB


@contextlib.contextmanager
def path_lock(path):
    """Serialize work on one cache file among the threads of this process.

    Callers check whether the file exists and download it under this lock,
    so overlapping requests for one image download it once: the second
    caller waits, then finds the file.  (oslo.concurrency's internal lock:
    a named semaphore that lives while someone holds or waits for it.)
    """
    with lockutils.lock('aggregates-ext-cache:' + os.path.abspath(path)):
        yield


def check_disk_space(directory, image_id, needed, reserved_disk_mb):
    """Refuse to write ``needed`` bytes that would eat into the reserve.

    :raises InsufficientDiskSpace: free space minus ``needed`` would fall
        below ``reserved_disk_mb``.
    """
    free = shutil.disk_usage(directory).free
    if free - needed < reserved_disk_mb * MiB:
        raise exception.InsufficientDiskSpace(
            image_id=image_id, needed=needed, free=free,
            reserved_mb=reserved_disk_mb)


def _verifier(meta, image_id):
    """The hash object and expected digest to check the data with."""
    algo = meta.get('os_hash_algo')
    value = meta.get('os_hash_value')
    if algo and value and algo in hashlib.algorithms_available:
        return algo, hashlib.new(algo), value.lower()
    checksum = meta.get('checksum')
    if checksum:
        # Images uploaded before Glance had os_hash_* (Rocky) only have the
        # MD5 checksum; it still catches a corrupted transfer.
        return 'md5', hashlib.md5(usedforsecurity=False), checksum.lower()
    # Caching unverifiable data would hand nova-compute whatever arrived.
    raise exception.ImageNotCacheable(
        image_id=image_id, reason='the image service has no hash for it')


def _check_metadata(meta, image_id, max_image_size_mb):
    if meta.get('status') != 'active':
        raise exception.ImageNotCacheable(
            image_id=image_id,
            reason='its status is %s, not active' % meta.get('status'))
    size = meta.get('size')
    if not isinstance(size, int) or size < 0:
        # Without a size the free-space check cannot be made beforehand.
        raise exception.ImageNotCacheable(
            image_id=image_id, reason='the image service gives no size')
    if max_image_size_mb and size > max_image_size_mb * MiB:
        raise exception.ImageTooLarge(image_id=image_id,
                                      limit_mb=max_image_size_mb)
    return size


def _open_part(part, image_id):
    """Create ``part`` exclusively, first removing a dead writer's copy.

    The caller holds the cache's download lock for the file, so an
    existing ``part`` has no live writer.  Creation stays exclusive all the
    same: two writers on one file would mix their data.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_CLOEXEC', 0)
    try:
        return os.open(part, flags, 0o644)
    except FileExistsError:
        LOG.warning('Removing partial download %s left by a dead writer',
                    part)
        remove_quietly(part)
    try:
        return os.open(part, flags, 0o644)
    except FileExistsError:
        raise exception.DownloadInProgress(image_id=image_id, path=part)


def _write_behind(fd, offset, length):
    """Start writing ``length`` bytes at ``offset`` to disk, and uncache them.

    POSIX_FADV_DONTNEED on dirty pages makes Linux start their write-back
    at once, without waiting for it, and drops them from the page cache
    once written.  Without it the whole image sat in the page cache until
    the final fsync wrote it out in one go (0.3 s per GiB here), and a
    compute host's page cache, its guests' and services' data, was pushed
    out by image data that nothing reads soon.  Durability is unchanged:
    the fsync before the rename still waits for every byte.
    """
    advise = getattr(os, 'posix_fadvise', None)
    if advise is None:
        return
    try:
        advise(fd, offset, length, os.POSIX_FADV_DONTNEED)
    except OSError:
        # Advice only; a file system that refuses it loses nothing.
        pass


def _stream(chunks, fd, hasher, image_id, size, progress=None):
    written = behind = 0
    if progress is not None:
        progress(0, size)
    try:
        for chunk in chunks:
            written += len(chunk)
            if written > size:
                # Stop at once: longer data is wrong data, and it must not
                # get past the size cap and free-space checks, which were
                # made for the announced size.
                raise exception.ImageSizeMismatch(
                    image_id=image_id, expected=size, actual=written)
            hasher.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
            if written - behind >= WRITE_BEHIND_BYTES:
                _write_behind(fd, behind, written - behind)
                behind = written
            if progress is not None:
                progress(written, size)
    finally:
        close = getattr(chunks, 'close', None)
        if close is not None:
            close()
    if written != size:
        raise exception.ImageSizeMismatch(
            image_id=image_id, expected=size, actual=written)


def fsync_directory(directory):
    """Persist the directory entries (a rename) of ``directory``."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, 'O_DIRECTORY', 0))
    try:
        os.fsync(fd)
    except OSError as e:
        # Some file systems cannot sync a directory; the data is synced.
        if e.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def remove_quietly(path):
    """Remove ``path`` if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def fetch_to_file(context, image_api, image_id, path, chunk_size=None,
                  max_image_size_mb=0, reserved_disk_mb=0, stage=None,
                  progress=None):
    """Download, verify and atomically place an image at ``path``.

    The caller holds ``path_lock(path)`` and the cache's download lock,
    and has checked that ``path`` does not exist.  Memory use is one chunk
    whatever the image size.

    :param stage: optional ``stage(part_path, meta)`` called with the
        verified, synced download; it returns the file to rename to ``path``
        (for example a converted copy, which it removes itself on failure).
    :param progress: optional ``progress(bytes_done, bytes_total)``, called
        at the start and after every chunk written (it keeps its own rate).
    :returns: the image's metadata.
    :raises ValueError: ``image_id`` is not a canonical UUID.
    :raises ImageNotFound, ImageNotAuthorized, ImageServiceUnavailable:
        from the image service.
    :raises ImageCacheError: the image was refused or failed verification.
        On any error nothing is left at ``path`` or ``path.part``.
    """
    ids.require_canonical(image_id)
    directory = os.path.dirname(os.path.abspath(path))
    meta = image_api.get(context, image_id)
    size = _check_metadata(meta, image_id, max_image_size_mb)
    algo, hasher, expected = _verifier(meta, image_id)
    check_disk_space(directory, image_id, size, reserved_disk_mb)

    part = path + PART_SUFFIX
    fd = _open_part(part, image_id)
    ready = None
    try:
        try:
            chunks = image_api.download(context, image_id,
                                        chunk_size=chunk_size)
            _stream(chunks, fd, hasher, image_id, size, progress)
            actual = hasher.hexdigest()
            if actual != expected:
                raise exception.ImageChecksumMismatch(
                    image_id=image_id, algo=algo, expected=expected,
                    actual=actual)
            os.fsync(fd)
        finally:
            os.close(fd)
        ready = stage(part, meta) if stage is not None else part
        os.rename(ready, path)
    except BaseException:
        remove_quietly(part)
        if ready is not None and ready != part:
            remove_quietly(ready)
        raise
    if ready != part:
        remove_quietly(part)
    fsync_directory(directory)
    LOG.info('Cached image %s at %s (%d bytes, %s verified)',
             image_id, path, size, algo)
    return meta
