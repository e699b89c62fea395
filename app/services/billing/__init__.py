"""Billing the way each business bills (issue 17): each shape in its own module."""
