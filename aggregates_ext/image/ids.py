"""Image ids as file names.

Image ids reach the image sources and the image cache from RPC messages and
API requests.  Before one becomes part of a file path it must be a canonical
UUID (lower-case, hyphenated): that spelling has no ``/``, no ``..`` and no
second spelling of the same image, so one image has one file.
"""

import re

_CANONICAL_UUID = re.compile(
    r'\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z')


def is_canonical(image_id):
    """Whether ``image_id`` is a lower-case, hyphenated UUID string."""
    return (isinstance(image_id, str) and
            _CANONICAL_UUID.match(image_id) is not None)


def require_canonical(image_id):
    """Return ``image_id`` if it is a canonical UUID.

    :raises ValueError: for anything else, before it is used in a path.
    """
    if not is_canonical(image_id):
        raise ValueError('Image id %r is not a canonical UUID' % (image_id,))
    return image_id
