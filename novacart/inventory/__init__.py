"""Products, stock and its audit trail, the back-in-stock waitlist, reviews."""
