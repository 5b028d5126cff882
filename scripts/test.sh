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
# One TensorFlow thread per process (the tests' own, and the servers, training workers, kernels and checks they
# start): the three workers and what they start already keep both cores busy, and two threads a process only made
# them wait on each other. Whole suite, fresh clones, 2 cores: 632 s against 658 s, the workers' own CPU 592 against
# 644 CPU-s (bench/RESULTS.md, "The suite in session 16"). A value of your own wins.
export TF_NUM_INTRAOP_THREADS="${TF_NUM_INTRAOP_THREADS:-1}" TF_NUM_INTEROP_THREADS="${TF_NUM_INTEROP_THREADS:-1}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" GAN_TF_THREADS="${GAN_TF_THREADS:-1}"
python3 -m pytest -n "${GAN_TEST_WORKERS:-3}" --dist loadfile "$@"
