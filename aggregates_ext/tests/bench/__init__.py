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

"""Benchmark of image pre-caching over RabbitMQ and a real Glance.

    python -m aggregates_ext.tests.bench rabbit [--agents 1,10,50] [--help]

Not a test suite: nothing here is collected by stestr (no ``test_``
modules).  Needs what the functional tests need: the machine's RabbitMQ and
PostgreSQL, and the OpenStack venv for Glance (see
``aggregates_ext/tests/functional/services.py``), plus ``curl`` and
``sha512sum``.

Two measurements:

* Fan-out: the wall time of one pre-cache request on an aggregate of 1, 10
  and 50 compute hosts, from the API-side call (``PrecacheAPI``: image
  check in Glance, database record, cast) until the conductor has recorded
  the request as finished; once with every host downloading a fresh image
  ("cold") and once more with the image already cached ("warm": the RPC
  fan-out alone).  The conductor runs as its own process
  (``aggregates-ext-conductor``); the agents run as threads, up to
  ``--per-process`` real ``ComputeService`` instances per process
  (``aggregates_ext.tests.bench.agents``), each with its own RPC server
  and broker connection.
* Download throughput of an agent from the real Glance, as a ratio to
  ``curl -s URL | sha512sum`` on the same image in the same run: the
  agent's own code path (``LibvirtDriver.cache_image``: metadata, streamed
  download, sha512 check, write, fsync, rename) called in-process, and the
  same through RPC on a one-host aggregate.
"""
