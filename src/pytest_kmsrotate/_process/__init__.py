"""Internal: process-wide patches a running fake installs and restores (not a public API)."""
