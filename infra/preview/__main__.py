"""`python -m infra.preview`: the command-line entry point (the commands are in `cli.py`).

A plan process is short-lived and loads hundreds of thousands of objects that live until it
ends; freeing them one by one at exit costs about half a second (1.5 s before the SDKs were
loaded on demand). Once the output is flushed, the process exits without that teardown (nothing
is left open: files are written and closed by then).
"""

import gc
import os
import sys

gc.disable()  # importing the CLI creates only long-lived objects (see engine.preload_providers)
from infra.preview.cli import main  # noqa: E402 - imported with the collector paused

gc.freeze()
gc.enable()

if __name__ == "__main__":
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # the reader went away (`| head`): nothing left to say
        pass
    os._exit(code)
