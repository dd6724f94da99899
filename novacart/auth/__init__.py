"""Users, roles, tokens and sessions."""
