"""Loaded by every Python subprocess of the test suite (tests/_network_guard.py puts this directory
first on PYTHONPATH): the network guard's audit hook, before any user code runs."""

import kmsrotate_network_hook

kmsrotate_network_hook.install()
