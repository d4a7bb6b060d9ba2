"""Notifications: the site's settings, the outbox written with each change, and its sender."""
