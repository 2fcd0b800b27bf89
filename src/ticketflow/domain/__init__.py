"""Pure values shared by every stage: no I/O, no imports of other ticketflow packages."""
