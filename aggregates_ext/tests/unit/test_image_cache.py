"""Image cache drivers, on real temp dirs with a real local image source."""

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap
import threading
import time

import fixtures
import testtools

from aggregates_ext.compute import image_cache
from aggregates_ext.compute.image_cache import base
from aggregates_ext.compute.image_cache import directory
from aggregates_ext.compute.image_cache import fetch
from aggregates_ext.compute.image_cache import libvirt
from aggregates_ext.compute.image_cache import unsupported
from aggregates_ext import conf
from aggregates_ext import exception
from aggregates_ext.image import local
from aggregates_ext.tests import fixtures as agg_fixtures

CONF = conf.CONF
MiB = 1024 * 1024
IMAGE_ID = '0f2cf2f8-4b5a-4a56-8d3e-6a0c7e9d1b21'
OTHER_ID = '5d7d4a59-8f7b-4a4e-b7a7-0d3c5a1f9e10'
THIRD_ID = '9c1e7b3a-2d4f-4e6a-8b5c-7f0a1d2e3c4b'
# Page cache advice, and /proc to see which file it was given for.
LINUX_ONLY = testtools.skipUnless(
    hasattr(os, 'posix_fadvise') and os.path.isdir('/proc/self/fd'),
    'Linux only')


class CountingImageAPI:
    """A real image source that counts its calls.

    With ``release`` set to an event, each download waits for it, so a test
    can make requests overlap.
    """

    def __init__(self, api):
        self.api = api
        self.gets = 0
        self.downloads = 0
        self.release = None

    def get(self, context, image_id):
        self.gets += 1
        return self.api.get(context, image_id)

    def download(self, context, image_id, chunk_size=None):
        self.downloads += 1
        chunks = self.api.download(context, image_id, chunk_size)
        if self.release is not None:
            self.release.wait(10)
        return chunks


class BrokenStreamImageAPI(CountingImageAPI):
    """The image service drops the transfer after the first chunk."""

    def download(self, context, image_id, chunk_size=None):
        chunks = super().download(context, image_id, chunk_size)

        def broken():
            yield next(chunks)
            chunks.close()
            raise exception.ImageServiceUnavailable(reason='reset by peer')
        return broken()


class ImageCacheTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(agg_fixtures.Config())
        self.root = self.useFixture(fixtures.TempDir()).path
        CONF.set_override('state_path', self.root)
        CONF.set_override('chunk_size', 4096, group='image')
        CONF.set_override('reserved_disk_mb', 0, group='image_cache')
        self.store = local.LocalImageAPI(os.path.join(self.root, 'store'))
        self.image_api = CountingImageAPI(self.store)
        self.data = agg_fixtures.raw_image_data(3 * 4096 + 100)

    def register(self, data=None, image_id=IMAGE_ID, disk_format='raw'):
        source = os.path.join(self.root, 'upload')
        with open(source, 'wb') as f:
            f.write(self.data if data is None else data)
        meta = self.store.register(source, image_id=image_id,
                                   disk_format=disk_format)
        os.unlink(source)
        return meta

    def edit_metadata(self, image_id=IMAGE_ID, **changes):
        path = os.path.join(self.store.directory, image_id + '.json')
        with open(path) as f:
            meta = json.load(f)
        meta.update(changes)
        with open(path, 'w') as f:
            json.dump(meta, f)

    def libvirt_driver(self, image_api=None):
        return libvirt.LibvirtDriver(CONF, image_api or self.image_api)

    @property
    def base_dir(self):
        return os.path.join(self.root, 'instances', '_base')

    def assertCacheEmpty(self, cache_dir):
        self.assertEqual([], os.listdir(cache_dir)
                         if os.path.exists(cache_dir) else [])


class LibvirtDriverTestCase(ImageCacheTestCase):

    def test_file_name_is_sha1_of_image_id(self):
        driver = self.libvirt_driver()
        expected = hashlib.sha1(IMAGE_ID.encode('utf-8')).hexdigest()
        self.assertEqual(os.path.join(self.base_dir, expected),
                         driver.image_path(IMAGE_ID))

    def test_cache_dir_follows_instances_path_and_subdirectory(self):
        CONF.set_override('instances_path', os.path.join(self.root, 'inst'))
        CONF.set_override('subdirectory_name', 'cache', group='image_cache')
        self.assertEqual(os.path.join(self.root, 'inst', 'cache'),
                         self.libvirt_driver().cache_dir)

    def test_instances_path_argument_overrides_option(self):
        driver = libvirt.LibvirtDriver(CONF, self.image_api,
                                       instances_path='/srv/agent-2')
        self.assertEqual('/srv/agent-2/_base', driver.cache_dir)

    def test_cached_then_existing_refreshes_mtime(self):
        self.register()
        driver = self.libvirt_driver()
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        path = driver.image_path(IMAGE_ID)
        with open(path, 'rb') as f:
            self.assertEqual(self.data, f.read())
        self.assertEqual([os.path.basename(path)], os.listdir(self.base_dir))

        os.utime(path, (1000000, 1000000))
        self.assertFalse(driver.cache_image(None, IMAGE_ID))
        self.assertGreater(os.stat(path).st_mtime, time.time() - 60)
        self.assertEqual(1, self.image_api.downloads)

    def test_hash_mismatch_raises_and_leaves_nothing(self):
        self.register()
        # Same length, different bytes: only the hash can tell.
        data_path = os.path.join(self.store.directory, IMAGE_ID)
        with open(data_path, 'r+b') as f:
            f.seek(10)
            f.write(b'\0' if self.data[10:11] != b'\0' else b'\1')
        driver = self.libvirt_driver()
        self.assertRaises(exception.ImageChecksumMismatch, driver.cache_image,
                          None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_longer_data_than_announced_stops_and_leaves_nothing(self):
        self.register()
        with open(os.path.join(self.store.directory, IMAGE_ID), 'ab') as f:
            f.write(b'extra')
        self.assertRaises(exception.ImageSizeMismatch,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_md5_checksum_used_without_os_hash(self):
        self.register()
        self.edit_metadata(os_hash_algo=None, os_hash_value=None)
        self.assertTrue(self.libvirt_driver().cache_image(None, IMAGE_ID))

    def test_md5_checksum_mismatch_without_os_hash(self):
        self.register()
        self.edit_metadata(os_hash_algo=None, os_hash_value=None,
                           checksum=hashlib.md5(b'other').hexdigest())
        self.assertRaises(exception.ImageChecksumMismatch,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_os_hash_wins_over_wrong_md5(self):
        self.register()
        self.edit_metadata(checksum=hashlib.md5(b'other').hexdigest())
        self.assertTrue(self.libvirt_driver().cache_image(None, IMAGE_ID))

    def test_image_without_any_hash_refused(self):
        self.register()
        self.edit_metadata(os_hash_algo=None, os_hash_value=None,
                           checksum=None)
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual(0, self.image_api.downloads)
        self.assertCacheEmpty(self.base_dir)

    def test_inactive_image_refused(self):
        self.register()
        self.edit_metadata(status='queued')
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual(0, self.image_api.downloads)

    def test_unknown_image_raises_not_found(self):
        self.assertRaises(exception.ImageNotFound,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_reserve_reached_refused_before_download(self):
        self.register()
        # More than any test machine has free: a real refusal.
        CONF.set_override('reserved_disk_mb', 2 ** 40, group='image_cache')
        self.assertRaises(exception.InsufficientDiskSpace,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual(0, self.image_api.downloads)
        self.assertCacheEmpty(self.base_dir)

    def _fake_free_space(self, free):
        usage = shutil.disk_usage(self.root)
        self.useFixture(fixtures.MockPatch(
            'shutil.disk_usage',
            return_value=type(usage)(usage.total, usage.total - free, free)))

    def test_reserve_boundary(self):
        self.register()
        CONF.set_override('reserved_disk_mb', 1, group='image_cache')
        size = len(self.data)
        self._fake_free_space(MiB + size - 1)
        driver = self.libvirt_driver()
        self.assertRaises(exception.InsufficientDiskSpace, driver.cache_image,
                          None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)
        self._fake_free_space(MiB + size)
        self.assertTrue(driver.cache_image(None, IMAGE_ID))

    def test_size_cap_refused_before_download(self):
        self.register(data=b'x' * (MiB + 1))
        CONF.set_override('max_image_size_mb', 1, group='image_cache')
        self.assertRaises(exception.ImageTooLarge,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual(0, self.image_api.downloads)
        self.assertCacheEmpty(self.base_dir)

    def test_size_cap_holds_when_metadata_understates_size(self):
        self.register(data=b'x' * (MiB + 1))
        self.edit_metadata(size=10)
        CONF.set_override('max_image_size_mb', 1, group='image_cache')
        # Stopped at byte 11, long before the cap could be passed.
        self.assertRaises(exception.ImageSizeMismatch,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_image_at_size_cap_cached(self):
        self.register(data=b'x' * MiB)
        CONF.set_override('max_image_size_mb', 1, group='image_cache')
        self.assertTrue(self.libvirt_driver().cache_image(None, IMAGE_ID))

    def test_broken_stream_removes_part(self):
        self.register()
        api = BrokenStreamImageAPI(self.store)
        self.assertRaises(exception.ImageServiceUnavailable,
                          self.libvirt_driver(api).cache_image,
                          None, IMAGE_ID)
        self.assertEqual(1, api.downloads)
        self.assertCacheEmpty(self.base_dir)

    def test_overlapping_requests_download_once(self):
        self.register()
        self.image_api.release = threading.Event()
        driver = self.libvirt_driver()
        path = driver.image_path(IMAGE_ID)
        results = []

        def cache():
            results.append(driver.cache_image(None, IMAGE_ID))

        threads = [threading.Thread(target=cache) for _ in range(2)]
        threads[0].start()
        # The first caller is downloading (held in the download) ...
        deadline = time.time() + 10
        while not self.image_api.downloads:
            self.assertLess(time.time(), deadline)
            time.sleep(0.01)
        # ... when the second arrives and waits on the file's lock.
        threads[1].start()
        time.sleep(0.2)
        self.assertFalse(os.path.exists(path))
        self.image_api.release.set()
        for thread in threads:
            thread.join(10)
        self.assertEqual([False, True], sorted(results))
        self.assertEqual(1, self.image_api.downloads)

    def advice_given(self, fail=False):
        """Record the kernel's page cache advice (and pass it on)."""
        given = []
        real = os.posix_fadvise

        def advise(fd, offset, length, advice):
            given.append((os.path.basename(os.readlink('/proc/self/fd/%d'
                                                       % fd)),
                          offset, length, advice))
            if fail:
                raise OSError(22, 'Invalid argument')
            real(fd, offset, length, advice)
        self.useFixture(fixtures.MonkeyPatch('os.posix_fadvise', advise))
        self.useFixture(fixtures.MonkeyPatch(
            'aggregates_ext.compute.image_cache.fetch.WRITE_BEHIND_BYTES',
            4096))
        return given

    @LINUX_ONLY
    def test_download_is_written_behind_as_it_arrives(self):
        self.register()
        given = self.advice_given()
        driver = self.libvirt_driver()
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        with open(driver.image_path(IMAGE_ID), 'rb') as f:
            self.assertEqual(self.data, f.read())
        # Each written range once, in order, while it is still the part
        # file; the last 100 bytes are left to the fsync.
        part = os.path.basename(driver.image_path(IMAGE_ID)) + '.part'
        self.assertEqual(
            [(part, offset, 4096, os.POSIX_FADV_DONTNEED)
             for offset in (0, 4096, 8192)], given)

    @LINUX_ONLY
    def test_refused_write_behind_advice_still_caches(self):
        self.register()
        given = self.advice_given(fail=True)
        driver = self.libvirt_driver()
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        self.assertEqual(3, len(given))
        with open(driver.image_path(IMAGE_ID), 'rb') as f:
            self.assertEqual(self.data, f.read())

    def test_different_images_cached_side_by_side(self):
        self.register()
        self.register(data=b'other image', image_id=OTHER_ID)
        driver = self.libvirt_driver()
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        self.assertTrue(driver.cache_image(None, OTHER_ID))
        self.assertEqual(2, len(os.listdir(self.base_dir)))

    def test_bad_id_never_builds_a_path(self):
        driver = self.libvirt_driver()
        for bad in ('../../etc/passwd', IMAGE_ID.upper(),
                    IMAGE_ID.replace('-', ''), '{%s}' % IMAGE_ID,
                    IMAGE_ID + '\n', '', None):
            self.assertRaises(ValueError, driver.cache_image, None, bad)
            self.assertRaises(ValueError, driver.image_path, bad)
        self.assertEqual(0, self.image_api.gets)
        self.assertEqual(['store'] if os.path.exists(
            self.store.directory) else [], os.listdir(self.root))

    def test_fetch_refuses_bad_id(self):
        self.assertRaises(ValueError, fetch.fetch_to_file, None,
                          self.image_api, '../x', os.path.join(self.root, 'x'))
        self.assertEqual(0, self.image_api.gets)

    def hold_nova_lock(self, driver, image_id):
        """Another process holds nova-compute's lock on the base file."""
        lock = os.path.join(self.root, 'instances', 'locks',
                            'nova-' + driver.file_name(image_id))
        os.makedirs(os.path.dirname(lock), exist_ok=True)
        holder = subprocess.Popen(
            [sys.executable, '-c',
             'import fcntl, os, sys, time\n'
             'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n'
             'fcntl.lockf(fd, fcntl.LOCK_EX)\n'
             'print("locked", flush=True)\n'
             'time.sleep(60)\n', lock],
            stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        self.assertEqual('locked\n', holder.stdout.readline())

    def test_part_of_a_live_writer_not_touched(self):
        self.register()
        driver = self.libvirt_driver()
        os.makedirs(self.base_dir)
        part = driver.image_path(IMAGE_ID) + '.part'
        with open(part, 'wb') as f:
            f.write(b'nova-compute is writing this')
        self.hold_nova_lock(driver, IMAGE_ID)
        self.assertRaises(exception.DownloadInProgress, driver.cache_image,
                          None, IMAGE_ID)
        with open(part, 'rb') as f:
            self.assertEqual(b'nova-compute is writing this', f.read())

    def test_part_of_a_dead_writer_replaced_at_once(self):
        self.register()
        driver = self.libvirt_driver()
        os.makedirs(self.base_dir)
        part = driver.image_path(IMAGE_ID) + '.part'
        with open(part, 'wb') as f:
            f.write(b'left over, just now')
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        self.assertEqual([os.path.basename(driver.image_path(IMAGE_ID))],
                         os.listdir(self.base_dir))

    def test_cleanup_partials(self):
        driver = self.libvirt_driver()
        os.makedirs(self.base_dir)
        name = driver.file_name(IMAGE_ID)
        other = driver.file_name(OTHER_ID)
        third = driver.file_name(THIRD_ID)
        files = {
            name: 'cached image, kept',
            name + '.part': 'dead writer, removed',
            other + '.converted': 'dead writer, removed',
            third + '.part': 'being written, kept',
            'notes.part': 'not ours, kept',
        }
        for file_name in files:
            path = os.path.join(self.base_dir, file_name)
            with open(path, 'w') as f:
                f.write(files[file_name])
        self.hold_nova_lock(driver, THIRD_ID)
        self.assertEqual(2, driver.cleanup_partials())
        self.assertEqual(sorted([name, third + '.part', 'notes.part']),
                         sorted(os.listdir(self.base_dir)))

    def test_cleanup_partials_without_cache_dir(self):
        self.assertEqual(0, self.libvirt_driver().cleanup_partials())


def qcow2_bytes(virtual_size=4 * MiB, backing_file=None):
    """A minimal, valid qcow2 image: a version 2 header, no clusters."""
    offset, length, tail = 0, 0, b''
    if backing_file:
        tail = backing_file.encode()
        offset, length = 72, len(tail)
    header = struct.pack('>4sIQIIQIIQQIIQ', b'QFI\xfb', 2, offset, length,
                         16, virtual_size, 0, 0, 0, 0, 0, 0, 0)
    return (header + tail).ljust(128 * 1024, b'\0')


class LibvirtConversionTestCase(ImageCacheTestCase):
    """Non-raw images, with a stand-in ``qemu-img`` on an isolated PATH.

    ``qemu-img`` is an external program (a true edge); the stand-in
    answers ``info`` from a JSON file and ``convert`` by copying with a
    marker, and records its command lines.
    """

    def setUp(self):
        super().setUp()
        self.bin_dir = os.path.join(self.root, 'bin')
        os.makedirs(self.bin_dir)
        self.useFixture(fixtures.EnvironmentVariable('PATH', self.bin_dir))
        self.info = {'format': 'qcow2', 'virtual-size': 4 * MiB}
        self.log = os.path.join(self.root, 'qemu-img.log')

    def install_qemu_img(self):
        info_path = os.path.join(self.root, 'info.json')
        with open(info_path, 'w') as f:
            json.dump(self.info, f)
        script = os.path.join(self.bin_dir, 'qemu-img')
        with open(script, 'w') as f:
            f.write(textwrap.dedent('''\
                #!%s
                import shutil, sys
                with open(%r, 'a') as log:
                    log.write(' '.join(sys.argv[1:]) + '\\n')
                if sys.argv[1] == 'info':
                    sys.stdout.write(open(%r).read())
                elif sys.argv[1] == 'convert':
                    with open(sys.argv[-1], 'wb') as out:
                        out.write(b'RAW:' + open(sys.argv[-2], 'rb').read())
                ''' % (sys.executable, self.log, info_path)))
        os.chmod(script, 0o755)

    def register(self, data=None, image_id=IMAGE_ID, disk_format='raw'):
        if data is None and disk_format == 'qcow2':
            data = qcow2_bytes()
        return super().register(data, image_id, disk_format)

    def qemu_img_calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.split()[0] for line in f]

    def test_qcow2_converted_to_raw(self):
        self.register(disk_format='qcow2')
        self.install_qemu_img()
        driver = self.libvirt_driver()
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        with open(driver.image_path(IMAGE_ID), 'rb') as f:
            self.assertEqual(b'RAW:' + qcow2_bytes(), f.read())
        self.assertEqual(['info', 'convert'], self.qemu_img_calls())
        self.assertEqual([driver.file_name(IMAGE_ID)],
                         os.listdir(self.base_dir))

    def test_qcow2_kept_without_force_raw(self):
        CONF.set_override('force_raw_images', False)
        self.register(disk_format='qcow2')
        self.install_qemu_img()
        driver = self.libvirt_driver()
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        with open(driver.image_path(IMAGE_ID), 'rb') as f:
            self.assertEqual(qcow2_bytes(), f.read())
        self.assertEqual(['info'], self.qemu_img_calls())

    def test_qcow2_labelled_raw_refused_and_nothing_left(self):
        self.register(data=qcow2_bytes(backing_file='/etc/shadow'),
                      disk_format='raw')
        driver = self.libvirt_driver()
        self.assertRaises(exception.ImageNotCacheable, driver.cache_image,
                          None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_backing_file_in_the_header_refused_before_qemu_img(self):
        self.register(data=qcow2_bytes(backing_file='/etc/shadow'),
                      disk_format='qcow2')
        self.install_qemu_img()
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual([], self.qemu_img_calls())
        self.assertCacheEmpty(self.base_dir)

    def test_raw_image_needs_no_qemu_img(self):
        self.register(disk_format='raw')
        self.assertTrue(self.libvirt_driver().cache_image(None, IMAGE_ID))

    def test_qemu_img_missing_error_and_nothing_left(self):
        self.register(disk_format='qcow2')
        e = self.assertRaises(exception.ImageNotCacheable,
                              self.libvirt_driver().cache_image,
                              None, IMAGE_ID)
        self.assertIn('qemu-img', str(e))
        self.assertCacheEmpty(self.base_dir)

    def test_backing_file_refused_and_nothing_left(self):
        self.info['backing-filename'] = '/etc/shadow'
        self.register(disk_format='qcow2')
        self.install_qemu_img()
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual(['info'], self.qemu_img_calls())
        self.assertCacheEmpty(self.base_dir)

    def test_format_disagreement_refused(self):
        self.info['format'] = 'raw'
        self.register(disk_format='qcow2')
        self.install_qemu_img()
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_vmdk_descriptor_refused(self):
        self.info = {'format': 'vmdk', 'virtual-size': MiB,
                     'format-specific': {'type': 'vmdk', 'data': {
                         'create-type': 'monolithicFlat'}}}
        self.register(disk_format='vmdk')
        self.install_qemu_img()
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)

    def test_raw_copy_must_fit_the_reserve(self):
        self.info['virtual-size'] = 2 ** 62
        self.register(disk_format='qcow2')
        self.install_qemu_img()
        self.assertRaises(exception.InsufficientDiskSpace,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertEqual(['info'], self.qemu_img_calls())
        self.assertCacheEmpty(self.base_dir)

    def test_unknown_disk_format_refused(self):
        self.register(disk_format='strange')
        self.assertRaises(exception.ImageNotCacheable,
                          self.libvirt_driver().cache_image, None, IMAGE_ID)
        self.assertCacheEmpty(self.base_dir)


class DirectoryDriverTestCase(ImageCacheTestCase):

    def test_cached_under_image_id_then_existing(self):
        self.register()
        driver = directory.DirectoryDriver(CONF, self.image_api)
        cache_dir = os.path.join(self.root, 'image-cache')
        self.assertEqual(os.path.join(cache_dir, IMAGE_ID),
                         driver.image_path(IMAGE_ID))
        self.assertTrue(driver.cache_image(None, IMAGE_ID))
        self.assertFalse(driver.cache_image(None, IMAGE_ID))
        self.assertEqual([IMAGE_ID], os.listdir(cache_dir))
        self.assertEqual(1, self.image_api.downloads)

    def test_directory_argument_overrides_option(self):
        driver = directory.DirectoryDriver(CONF, self.image_api,
                                           directory='/srv/agent-2')
        self.assertEqual('/srv/agent-2/' + IMAGE_ID,
                         driver.image_path(IMAGE_ID))

    def test_cleanup_partials_removes_fresh_parts(self):
        driver = directory.DirectoryDriver(CONF, self.image_api)
        os.makedirs(driver.cache_dir)
        for name in (IMAGE_ID, OTHER_ID + '.part', 'x.part'):
            open(os.path.join(driver.cache_dir, name), 'w').close()
        self.assertEqual(1, driver.cleanup_partials())
        self.assertEqual(sorted([IMAGE_ID, 'x.part']),
                         sorted(os.listdir(driver.cache_dir)))

    def test_bad_id_refused(self):
        driver = directory.DirectoryDriver(CONF, self.image_api)
        self.assertRaises(ValueError, driver.cache_image, None, '../x')
        self.assertFalse(os.path.exists(driver.cache_dir))


class DriverSelectionTestCase(ImageCacheTestCase):

    def test_unsupported_driver_raises_not_implemented(self):
        driver = unsupported.UnsupportedDriver(CONF, self.image_api)
        self.assertRaises(NotImplementedError, driver.cache_image, None,
                          IMAGE_ID)
        self.assertEqual(0, driver.cleanup_partials())

    def test_base_driver_cannot_cache(self):
        driver = base.ImageCacheDriver(CONF, self.image_api)
        self.assertRaises(NotImplementedError, driver.cache_image, None,
                          IMAGE_ID)

    def test_get_driver_by_option(self):
        for name, cls in (('libvirt', libvirt.LibvirtDriver),
                          ('directory', directory.DirectoryDriver),
                          ('unsupported', unsupported.UnsupportedDriver)):
            CONF.set_override('driver', name, group='image_cache')
            driver = image_cache.get_driver(CONF, self.image_api)
            self.assertIsInstance(driver, cls)
            self.assertIs(self.image_api, driver.image_api)

    def test_default_driver_is_libvirt(self):
        self.assertIsInstance(image_cache.get_driver(CONF, self.image_api),
                              libvirt.LibvirtDriver)
