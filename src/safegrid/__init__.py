"""SafeGrid: power marketing platform with security governance built in."""

__version__ = "0.1.0"

# Registers the column hook that makes columns declared sensitive encrypted (DATA-2). It
# must be in place before any model module defines its tables, and every module of the
# package is imported after this one.
from safegrid.security import fields as _sensitive_fields  # noqa: F401
