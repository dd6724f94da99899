"""Orders, their status machine and history, payments and shipments through provider webhooks."""
