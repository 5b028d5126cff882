"""Peak memory of hostile work, measured in a fresh child process rather than trusted from a code path.

The child runs `setup` (imports, building the hostile input), resets its peak-RSS mark, runs `action`, and
reports how far its peak resident memory rose above where it stood when the action began. A hard address-space
limit keeps a regression from taking the machine down with it (it then fails as a MemoryError, not silently).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys
def _status(field):
    for line in open('/proc/self/status'):
        if line.startswith(field + ':'):
            return int(line.split()[1]) / 1024
{setup}
import gc; gc.collect()
_soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, ({limit}, _hard))
_start = _status('VmRSS')
open('/proc/self/clear_refs', 'w').write('5')  # reset VmHWM: the peak from here on is the action's
result = None
try:
{action}
except MemoryError:
    result = 'MemoryError'
_peak = _status('VmHWM')
_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print('@@' + json.dumps({{'result': result, 'start_mb': _start, 'peak_mb': _peak, 'grew_mb': _peak - _start,
                          'child_peak_mb': _children}}, default=str))
"""


def peak_in_child(setup: str, action: str, limit_mb: int = 6000, timeout: float = 240) -> dict:
    """Run in a fresh interpreter (project on the path); `action` sets `result`. Returns what the child measured:
    result, start_mb, peak_mb, grew_mb (peak above the start of the action) and child_peak_mb (the largest
    process the child itself started, e.g. a model check)."""
    code = _CHILD.format(setup=textwrap.dedent(setup), action=textwrap.indent(textwrap.dedent(action), "    "),
                         limit=int(limit_mb) * 1024 * 1024)
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "TF_CPP_MIN_LOG_LEVEL": "2", "GAN_NO_DOWNLOAD": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    assert done.returncode == 0 and lines, f"child failed ({done.returncode}): {done.stderr[-3000:]}"
    return json.loads(lines[-1][2:])
