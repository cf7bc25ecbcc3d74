"""Domain exceptions.  No HTTP here: controllers map these to status codes.

Each exception's message is the text a client reads in the fault body, so
the wording follows Nova's where Nova has the same error.
"""


class AggregatesExtException(Exception):
    msg_fmt = 'An unknown exception occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        self.message = message
        super().__init__(message)

    def format_message(self):
        return self.message


class NotFound(AggregatesExtException):
    msg_fmt = 'Resource could not be found.'


class Invalid(AggregatesExtException):
    msg_fmt = 'Unacceptable parameters.'


class Conflict(AggregatesExtException):
    msg_fmt = 'Conflict.'


class AggregateNotFound(NotFound):
    msg_fmt = 'Aggregate %(aggregate_id)s could not be found.'


class AggregateNameExists(Conflict):
    msg_fmt = 'Aggregate %(aggregate_name)s already exists.'


class AggregateHostExists(Conflict):
    msg_fmt = 'Aggregate %(aggregate_id)s already has host %(host)s.'


class AggregateHostNotFound(NotFound):
    msg_fmt = 'Aggregate %(aggregate_id)s has no host %(host)s.'


class AggregateMetadataKeyExists(Invalid):
    msg_fmt = ('Aggregate %(aggregate_id)s already contain metadata key '
               '%(key)s.')


class ComputeHostNotFound(NotFound):
    msg_fmt = 'Compute host %(host)s could not be found.'


class ComputeHostNotUnique(Conflict):
    # Nova answers 500 (ServiceNotUnique is not an expected error there).
    msg_fmt = ('Compute host %(host)s has a compute service in more than '
               'one cell and no host mapping.')


class NovaRPCPinned(AggregatesExtException):
    msg_fmt = ('The compute RPC version pin %(version)s does not allow '
               'cache_images (5.4 or later): see [nova] '
               'compute_version_cap.')


class PlacementUpdateConflict(Conflict):
    msg_fmt = ('Placement kept changing resource provider %(provider)s '
               'while aggregate %(aggregate)s was being removed from it; '
               'try again.')


class InvalidAggregateAction(Invalid):
    msg_fmt = ('Cannot %(action)s aggregate %(aggregate_id)s. '
               'Reason: %(reason)s.')


class InvalidAggregateActionAdd(InvalidAggregateAction):
    msg_fmt = ('Cannot add host to aggregate %(aggregate_id)s. '
               'Reason: %(reason)s.')


class InvalidAggregateActionDelete(InvalidAggregateAction):
    msg_fmt = ('Cannot remove host from aggregate %(aggregate_id)s. '
               'Reason: %(reason)s.')


class InvalidAggregateActionUpdate(InvalidAggregateAction):
    msg_fmt = ('Cannot update aggregate %(aggregate_id)s. '
               'Reason: %(reason)s.')


class InvalidAggregateActionUpdateMeta(InvalidAggregateAction):
    msg_fmt = ('Cannot update metadata of aggregate %(aggregate_id)s. '
               'Reason: %(reason)s.')


class PrecacheRequestNotFound(NotFound):
    msg_fmt = 'Pre-cache request %(request_id)s could not be found.'


class MarkerNotFound(NotFound):
    msg_fmt = 'Marker %(marker)s could not be found.'


class ImageNotFound(NotFound):
    msg_fmt = 'Image %(image_id)s could not be found.'


class ImageNotAuthorized(AggregatesExtException):
    msg_fmt = 'Not authorized for image %(image_id)s.'


class ImageServiceUnavailable(AggregatesExtException):
    msg_fmt = 'Connection to the image service failed: %(reason)s'


class PolicyNotAuthorized(AggregatesExtException):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class ConductorUnavailable(AggregatesExtException):
    msg_fmt = ('The conductor could not be reached; the pre-cache request '
               'was not sent: %(reason)s')


class ImageCacheError(AggregatesExtException):
    msg_fmt = 'Cannot cache image %(image_id)s: %(reason)s'


class ImageTooLarge(ImageCacheError):
    msg_fmt = ('Image %(image_id)s is larger than the %(limit_mb)d MiB '
               'allowed by [image_cache] max_image_size_mb.')


class InsufficientDiskSpace(ImageCacheError):
    msg_fmt = ('Not enough free disk space to cache image %(image_id)s: '
               '%(needed)d bytes needed, %(free)d free, %(reserved_mb)d MiB '
               'reserved by [image_cache] reserved_disk_mb.')


class ImageChecksumMismatch(ImageCacheError):
    msg_fmt = ('Data of image %(image_id)s does not match its %(algo)s '
               'hash: expected %(expected)s, got %(actual)s.')


class ImageSizeMismatch(ImageCacheError):
    msg_fmt = ('Data of image %(image_id)s is %(actual)d bytes long, the '
               'image service announced %(expected)d.')


class ImageNotCacheable(ImageCacheError):
    """The image's metadata rules out caching it (state, hash, format)."""


class DownloadInProgress(ImageCacheError):
    msg_fmt = ('Image %(image_id)s is being downloaded into %(path)s by '
               'another process.')
