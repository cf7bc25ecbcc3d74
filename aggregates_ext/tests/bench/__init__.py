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

"""Benchmarks: side by side with Nova 34, over HTTP, and over RabbitMQ.

Not a test suite: nothing here is collected by stestr (no ``test_``
modules).  ``tox -e bench`` runs ``compare`` (see ``README.rst`` here):

* ``inprocess``: our API and pre-cache fan-out in one process, with the
  phases, counts and statistics of the Nova peer benchmark;
* ``peer``: the Nova peer (outside this repository), its cached venv;
* ``compare``: Nova and ours interleaved, one table of ratios;
* ``http_load``: the API under gunicorn, loaded by wrk;
* ``rabbit``: pre-cache fan-out over RabbitMQ and downloads from a real
  Glance (``tox -e bench -- rabbit``);
* ``client``, ``harness``, ``agents``: what those run on.
"""
