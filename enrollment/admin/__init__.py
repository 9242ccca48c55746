"""Admin for the enrollment app, one module per area; importing registers them."""

from . import enrollments, payments, years  # noqa: F401
