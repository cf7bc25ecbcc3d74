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

"""A real Nova 34.0.0 for tests: ``tools/nova/deployment.py``, importable.

The deployment lives in ``tools/nova/`` (it runs from the command line
too); this module makes it importable from tests of a source checkout
(tox installs the package in develop mode)::

    from aggregates_ext.tests.functional import nova_deployment as nova

    dep = self.useFixture(nova.NovaDeployment(
        paste_filters=[nova.PasteFilter('aggregates_ext',
                                        nova.PRODUCT_FILTER_FACTORY)],
        extra_packages=['-e', nova.REPO_ROOT]))

See ``tools/nova/README.rst``.
"""

import os
import sys

from aggregates_ext.tests.functional import support

REPO_ROOT = support.REPO_ROOT

if not os.path.exists(os.path.join(REPO_ROOT, 'tools', 'nova',
                                   'deployment.py')):
    raise ImportError('tools/nova/deployment.py not found under %s: the '
                      'Nova deployment needs a source checkout' % REPO_ROOT)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tools.nova.deployment import CACHING_DRIVER  # noqa: E402
from tools.nova.deployment import DeploymentError  # noqa: E402
from tools.nova.deployment import format_memory  # noqa: E402
from tools.nova.deployment import NovaDeployment  # noqa: E402
from tools.nova.deployment import PasteFilter  # noqa: E402
from tools.nova.deployment import PLAIN_DRIVER  # noqa: E402
from tools.nova.deployment import Process  # noqa: E402
from tools.nova.deployment import PRODUCT_FILTER_FACTORY  # noqa: E402

__all__ = ['CACHING_DRIVER', 'DeploymentError', 'NovaDeployment',
           'PLAIN_DRIVER', 'PRODUCT_FILTER_FACTORY', 'PasteFilter',
           'Process', 'REPO_ROOT', 'format_memory']
