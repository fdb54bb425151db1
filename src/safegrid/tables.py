"""Imports every domain's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from safegrid.billing import models as billing_models
from safegrid.customers import models as customer_models
from safegrid.org import models as org_models
from safegrid.platform import outbox
from safegrid.platform.db import Base
from safegrid.readings import models as reading_models
from safegrid.security import models as security_models

metadata = Base.metadata

__all__ = [
    "billing_models",
    "customer_models",
    "metadata",
    "org_models",
    "outbox",
    "reading_models",
    "security_models",
]
