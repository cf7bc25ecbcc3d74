"""The states of a pre-cache request, its hosts and their images.

One set of names shared by the API, the conductor, the agents and the
database, and the reasons an image could not be cached, named after the
domain exceptions that say why.
"""

from aggregates_ext import exception

# A request.
PENDING = 'pending'      # accepted, no conductor has started it
RUNNING = 'running'      # a conductor holds its lease and asks its hosts
COMPLETE = 'complete'    # every host cached every image
PARTIAL = 'partial'      # finished, but some host or image did not
FAILED = 'failed'        # nothing could be done (e.g. no conductor)
REQUEST_STATES = (PENDING, RUNNING, COMPLETE, PARTIAL, FAILED)
UNFINISHED = (PENDING, RUNNING)

# A host of a request.
HOST_PENDING = 'pending'    # not asked yet
HOST_RUNNING = 'running'    # asked, no answer yet
HOST_DONE = 'done'          # answered for every image
HOST_FAILED = 'failed'      # the call itself failed (timeout, broker)
HOST_SKIPPED = 'skipped'    # down when the request ran

# An image on a host.
CACHED = 'cached'
EXISTING = 'existing'
ERROR = 'error'
UNSUPPORTED = 'unsupported'
SKIPPED = 'skipped'
DOWNLOADING = 'downloading'
STALLED = 'stalled'         # downloading, but no progress for a while
IMAGE_PENDING = 'pending'
IMAGE_OK = (CACHED, EXISTING)

# Why an image could not be cached.
REASONS = (
    (exception.InsufficientDiskSpace, 'disk_reserve'),
    (exception.ImageTooLarge, 'size_cap'),
    (exception.ImageChecksumMismatch, 'hash_mismatch'),
    (exception.ImageSizeMismatch, 'hash_mismatch'),
    (exception.ImageNotCacheable, 'format_refused'),
    (exception.DownloadInProgress, 'download_in_progress'),
    (exception.ImageNotFound, 'image_not_found'),
    (exception.ImageNotAuthorized, 'image_not_authorized'),
    (exception.ImageServiceUnavailable, 'image_service_error'),
)
TIMEOUT = 'timeout'
HOST_UNREACHABLE = 'host_unreachable'
HOST_DOWN = 'host_down'
NOT_SUPPORTED = 'not_supported'
OTHER = 'error'


def reason_of(exc):
    """(reason code, message) for an exception that stopped an image."""
    if isinstance(exc, NotImplementedError):
        return NOT_SUPPORTED, ('The image cache driver of this host does '
                               'not support pre-caching.')
    for cls, code in REASONS:
        if isinstance(exc, cls):
            return code, exc.format_message()
    if type(exc).__name__ == 'MessagingTimeout':
        return TIMEOUT, 'No answer from the host in time (%s: %s)' % (
            type(exc).__name__, exc)
    message = getattr(exc, 'format_message', lambda: str(exc))()
    return OTHER, '%s: %s' % (type(exc).__name__, message)


def final_status(host_results):
    """A finished request's status from its hosts' image states.

    :param host_results: iterable of (host status, [image states])
    """
    results = list(host_results)
    if not results:
        return COMPLETE
    if all(status in (HOST_FAILED, HOST_SKIPPED)
           for status, _images in results) and any(
            status == HOST_FAILED for status, _images in results):
        return FAILED
    ok = all(status == HOST_DONE and all(i in IMAGE_OK for i in images)
             for status, images in results)
    return COMPLETE if ok else PARTIAL
