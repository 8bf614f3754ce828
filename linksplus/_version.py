"""The version of Links+ Console, in one place: the package, the client's User-Agent, the
sandbox's OpenAPI and the package metadata (pyproject.toml) read it from here."""

__version__ = "0.1.0"
