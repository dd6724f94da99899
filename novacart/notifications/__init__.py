"""Notifications: stored, queued, pushed over Socket.IO and kept until acknowledged."""
