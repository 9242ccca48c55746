"""Admin for the enrollment app, one module per area; importing registers them."""

from . import enrollments, payments, workers, years  # noqa: F401
