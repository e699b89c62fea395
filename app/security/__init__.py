"""Roles, permissions and the SecurityManager subclass."""
