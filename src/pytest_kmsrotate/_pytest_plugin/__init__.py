"""Internal: the pytest side (plugin, fixture object, seeding, views, report); public names live in
`pytest_kmsrotate` itself."""
