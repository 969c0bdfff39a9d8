"""The one version of the service: the installed package's (``pyproject.toml``).

``/healthz``, ``/openapi.json`` and ``flask version`` all show ``__version__``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "chameleon-api-keys"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
