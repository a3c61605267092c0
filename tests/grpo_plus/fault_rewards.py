"""Rewards used by test_faults.py that run in with_timeout's worker processes.

The trainer passes ``trainer_state`` (a transformers ``TrainerState``) to every reward, and with_timeout forwards it
pickled to the worker, whose first unpickling imports transformers and torch (seconds, more than a short time limit).
Importing it here puts it in the worker's preload (with_timeout preloads the reward's module), outside the limit.
"""

import time

import transformers.trainer_callback  # noqa: F401  (see the module docstring)


def sleepy_length(completions, **kwargs):
    """Length of each completion; hangs (10 minutes) on a completion containing 'slow'."""
    if any("slow" in c for c in completions):
        time.sleep(600)
    return [float(len(c)) for c in completions]
