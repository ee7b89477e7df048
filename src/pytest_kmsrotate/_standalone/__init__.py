"""Internal: the fake outside pytest: `kmsrotate serve`, its control API and its signals.

The same fake (engine, clock, rules) behind the same HTTP door the fixture uses, for local
development and for test runners of other languages, plus a small control API on the same port
under `/_kmsrotate/` (see docs/standalone.md).
"""
