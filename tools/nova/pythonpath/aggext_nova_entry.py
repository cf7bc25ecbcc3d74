# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Run a console-script entry point: ``python -m aggext_nova_entry
MODULE:FUNC PROG [ARGS...]``.

The same as the venv's ``bin/PROG`` script, but independent of the
script's ``#!`` line, and it exits (killing its process group when it
leads one) as soon as the process that started it is gone
(``AGGEXT_PARENT_PID``), so that a test run that dies leaves no Nova
service behind.
"""

import importlib
import os
import signal
import sys
import threading
import time


def _watch_parent(pid):
    while True:
        if os.getppid() != pid:
            if os.getpgrp() == os.getpid():
                try:
                    os.killpg(os.getpid(), signal.SIGKILL)
                except OSError:
                    pass
            os._exit(1)
        time.sleep(0.5)


def main():
    target, prog = sys.argv[1], sys.argv[2]
    sys.argv = [prog] + sys.argv[3:]
    parent = os.environ.get('AGGEXT_PARENT_PID')
    if parent:
        threading.Thread(target=_watch_parent, args=(int(parent),),
                         daemon=True).start()
    module, _, func = target.partition(':')
    sys.exit(getattr(importlib.import_module(module), func)())


if __name__ == '__main__':
    main()
