"""Run the `transcribe` CLI and SIGKILL it at its Nth file publication (an atomic rename).

    python tests/killer.py N run FOLDER -o OUT ...

The rename is where a write becomes visible, so killing just before it leaves a finished temporary
file and no renamed one: the harshest moment for a crash. Used by test_faults.py only.
"""

import os
import signal
import sys

kill_at = int(sys.argv[1])
calls = 0
real_replace = os.replace


def replace_then_die(source, target, *args, **kwargs):
    global calls
    calls += 1
    if calls == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(source, target, *args, **kwargs)


os.replace = replace_then_die
# Ctrl-C in a terminal raises KeyboardInterrupt; a shell that starts this in the background
# without job control would have SIGINT ignored, and the Ctrl-C test would never interrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.argv = ["transcribe", *sys.argv[2:]]

from transcribe.cli import main  # noqa: E402

main()
