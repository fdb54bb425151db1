"""Build hook for the optional C extension ``safegrid._sm4gcm`` (ADR 0008).

Everything else about the package lives in pyproject.toml. The extension is optional: a
machine without a C compiler still installs SafeGrid, and bulk encryption falls back to
the per-value `cryptography` path (same output format, slower).
"""

import sys

from setuptools import Extension, setup

COMPILE_ARGS = [] if sys.platform == "win32" else ["-O3"]

setup(
    ext_modules=[
        Extension(
            "safegrid._sm4gcm",
            sources=["src/safegrid/_sm4gcm.c"],
            extra_compile_args=COMPILE_ARGS,
            optional=True,
        )
    ]
)
