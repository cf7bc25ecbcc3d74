# oslo.messaging imports oslo.service, which settles on its eventlet
# backend at import time unless told otherwise.  This service runs on
# threads, so choose the threading backend before anything imports them.
from oslo_service import backend as _backend

if _backend.get_backend_type() is None:
    _backend.init_backend(_backend.BackendType.THREADING)
