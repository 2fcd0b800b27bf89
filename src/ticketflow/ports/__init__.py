"""Protocols the pipeline depends on; adapters implement them and only ``wiring`` picks which."""
