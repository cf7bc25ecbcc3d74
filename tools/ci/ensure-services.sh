#!/usr/bin/env bash
# Make sure MariaDB (3306), PostgreSQL (5432) and RabbitMQ (5672) answer on
# 127.0.0.1.  They are services of the CI machine; on a machine where one is
# missing it is installed from Debian and started (root, no systemd).  wrk,
# which the benchmark needs, is installed from Debian when missing.
set -uo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_up() {
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 1; done
  echo "port $1 did not come up" >&2
  return 1
}

need_apt=()
up 3306 || command -v mariadbd >/dev/null || need_apt+=(mariadb-server)
up 5432 || command -v pg_ctlcluster >/dev/null || need_apt+=(postgresql)
up 5672 || command -v rabbitmq-server >/dev/null || need_apt+=(rabbitmq-server)
# The HTTP benchmark's load generator (tox -e bench).
command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}"
fi

if ! up 3306; then
  service mariadb start || (mkdir -p /run/mysqld && chown mysql /run/mysqld &&
    (mariadbd-safe >/dev/null 2>&1 &))
  wait_up 3306
fi
if ! up 5432; then
  v=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster "$v" main start
  wait_up 5432
  # trust auth on 127.0.0.1 for the tests
  su postgres -c "psql -c \"ALTER USER postgres PASSWORD NULL\"" >/dev/null || true
fi
if ! up 5672; then
  (rabbitmq-server -detached || true)
  wait_up 5672
fi
echo "services: mariadb:3306 postgresql:5432 rabbitmq:5672 up"
