#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs it.
# Python packages from requirements-test.txt; Debian's chromium for the browser tests.
# pytest runs in three pytest-xdist workers, each module whole in one of them (its server, Chromium and module
# fixtures stay together): alone, the suite leaves a core idle much of the time, waiting on servers, browsers and
# worker processes; three workers kept two cores 90% busy (two: 56%, on a machine other tests shared). README, "The
# two commands". GAN_TEST_WORKERS=0 runs it in one process; a -n of your own wins over this one.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt

if ! command -v chromium >/dev/null 2>&1; then
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q chromium
fi

export TF_CPP_MIN_LOG_LEVEL=2
python3 -m pytest -n "${GAN_TEST_WORKERS:-3}" --dist loadfile "$@"
