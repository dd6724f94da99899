"""Deployment files (nginx, gunicorn) and the helpers that run them locally and in tests."""
