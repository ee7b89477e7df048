"""Internal: the transport-free AWS JSON 1.1 protocol every door shares (not a public API)."""
