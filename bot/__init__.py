"""The edges: chat platforms, the HTTP app, the command line."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("baoxiu")   # pyproject's version, as installed
except PackageNotFoundError:   # run from a checkout that was never installed
    __version__ = "0.0.0+unknown"
