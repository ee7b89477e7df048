"""Internal: the pytest side (plugin, fixture object, seeding, views, report); public names live in
`pytest_kmsrotate` itself."""

from .assertion_rewriting import exempt_this_package

# pytest imports this package first when it loads the plugin: from here on, the plugin's modules
# and the fake's load from ordinary bytecode instead of being rewritten from source.
exempt_this_package()
