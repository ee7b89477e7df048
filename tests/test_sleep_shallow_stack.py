"""`time.sleep` called with no Python caller (a thread started on it directly) is a worker's sleep.

Run in a fresh interpreter: what a bare `_thread` thread raises is printed on its stderr
("Exception ignored in thread started by"), which is the observable failure.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = '''
import _thread
import threading
import time
from datetime import timedelta

from pytest_kmsrotate import KmsRotation

with KmsRotation() as fake:
    before = fake.clock.now()
    finished = threading.Event()
    # The shallowest stack there is: the patched sleep is the thread's first and only frame.
    _thread.start_new_thread(time.sleep, (0.05,))
    _thread.start_new_thread(lambda: (time.sleep(0.2), finished.set()), ())
    assert finished.wait(30)  # waits on a lock: real time, unlike the frozen clock and patched sleep
    # Each worker's sleep moves the clock to its wake time (issue 12), without raising. A sleep
    # that starts after the other's moved the clock wakes later, so the end lies in [0.2, 0.25].
    assert before + timedelta(seconds=0.2) <= fake.clock.now() <= before + timedelta(seconds=0.25)
print("done")
'''


def test_a_thread_started_on_time_sleep_itself_sleeps_and_raises_nothing() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "done\n", "")
