# futurist imports eventlet whenever it is installed (oslo.service depends
# on it), and eventlet warns about its own deprecation on import.  This
# service never uses eventlet, so the warning would only mislead the
# operator reading the first lines a console script prints.
import warnings

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

# oslo.messaging imports oslo.service, which settles on its eventlet
# backend at import time unless told otherwise.  This service runs on
# threads, so choose the threading backend before anything imports them.
from oslo_service import backend as _backend  # noqa: E402

if _backend.get_backend_type() is None:
    _backend.init_backend(_backend.BackendType.THREADING)
