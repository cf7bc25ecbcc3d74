# futurist imports eventlet whenever it is installed (oslo.service depends
# on it): about 9 MiB of memory and 0.3 s of start-up in every process,
# and a deprecation warning.  This service never uses eventlet, so its own
# programs (the aggregates-ext-* console scripts, ``python -m
# aggregates_ext...``) keep it out: an import of it fails, and futurist
# carries on without.  A process that merely loads our package (nova-api
# with our filter, a test runner) is left as it is, with the warning
# silenced: the operator reading the first lines a console script prints
# would only be misled by it.
import os
import sys
import warnings

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')


def _runs_our_program(argv0, orig_argv):
    """Whether the process's main program is ours (not merely our package).

    ``argv0`` is ``sys.argv[0]`` (a console script's path); ``orig_argv``
    the interpreter's own command line, where ``-m`` names the module run
    (``sys.argv[0]`` is only ``-m`` while the package is imported).
    """
    if os.path.basename(argv0).startswith('aggregates-ext-'):
        return True
    # The interpreter's options come first; -c or a script ends them.
    args = iter(orig_argv[1:])
    for arg in args:
        if arg == '-m':
            return next(args, '').split('.')[0] == __name__
        if arg in ('-X', '-W'):
            next(args, None)
        elif arg == '-c' or not arg.startswith('-'):
            return False
    return False


if (_runs_our_program(sys.argv[0], getattr(sys, 'orig_argv', [])) and
        'eventlet' not in sys.modules):
    sys.modules['eventlet'] = None

# oslo.messaging imports oslo.service, which settles on its eventlet
# backend at import time unless told otherwise.  This service runs on
# threads, so choose the threading backend before anything imports them.
from oslo_service import backend as _backend  # noqa: E402

if _backend.get_backend_type() is None:
    _backend.init_backend(_backend.BackendType.THREADING)
