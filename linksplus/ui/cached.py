"""One way to cache a read, `cached_loader` (the rules are in its docstring), and one way
to open a shared store, `open_or_unavailable`."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import streamlit as st

from linksplus.config import Settings
from linksplus.ui.settings import current_settings

T = TypeVar("T")
SETTINGS = "settings"
_PLAIN = inspect.Parameter.POSITIONAL_OR_KEYWORD


@dataclass(frozen=True)
class Dependency:
    """What a loader reads besides its arguments, taken from the settings: the keyword
    argument `key` (part of the cache key) gets ``key_of(settings)``; the keyword argument
    `handle` (leading underscore, not part of the key), when given, ``handle_of(settings)``,
    which must follow from the key's value."""

    key: str
    key_of: Callable[[Settings], Hashable]
    handle: str | None = None
    handle_of: Callable[[Settings], Any] | None = None

    def __post_init__(self) -> None:
        if self.key.startswith("_"):
            raise ValueError(f"{self.key}: a key argument must not start with an underscore")
        if (self.handle is None) != (self.handle_of is None):
            raise ValueError(f"{self.key}: a handle needs both its name and how to get it")
        if self.handle is not None and not self.handle.startswith("_"):
            raise ValueError(f"{self.handle}: a handle's name starts with an underscore")

    @property
    def names(self) -> tuple[str, ...]:
        """The keyword arguments this dependency gives a loader."""
        return (self.key,) if self.handle is None else (self.key, self.handle)

    def arguments(self, settings: Settings) -> dict[str, Any]:
        """The keyword arguments for a loader run under `settings`."""
        values = {self.key: self.key_of(settings)}
        if self.handle is not None and self.handle_of is not None:
            values[self.handle] = self.handle_of(settings)
        return values


# Every loader made by `cached_loader`, for the tests that check what they read.
LOADERS: list[Loader] = []


class Loader:
    """A cached read (see `cached_loader`). Call it with the function's own
    positional arguments and, optionally, the settings to read under (the run's when
    omitted); its dependencies' keyword arguments are filled in from those settings."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        ttl: float | None,
        max_entries: int | None,
        depends_on: tuple[Dependency, ...],
        resource: bool,
    ) -> None:
        params = list(inspect.signature(fn).parameters.values())
        keyword = sorted(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)
        declared = sorted(name for dep in depends_on for name in dep.names)
        if keyword != declared:
            raise TypeError(
                f"{fn.__qualname__}: its keyword-only arguments {keyword} must be exactly "
                f"those of its dependencies {declared}"
            )
        positional = [p for p in params if p.kind is not p.KEYWORD_ONLY]
        if any(
            p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == SETTINGS for p in positional
        ):
            raise TypeError(f"{fn.__qualname__}: no *args, **kwargs or `settings` argument")
        settings = inspect.Parameter(SETTINGS, _PLAIN, default=None)
        self._call = inspect.Signature([*positional, settings])
        self.fn = fn
        self.depends_on = depends_on
        self.resource = resource
        cache = st.cache_resource if resource else st.cache_data
        self._cached = cache(ttl=ttl, max_entries=max_entries, show_spinner=False)(fn)
        functools.update_wrapper(self, fn)
        LOADERS.append(self)

    def _arguments(self, args: tuple, kwargs: dict) -> tuple[list, dict[str, Any]]:
        bound = self._call.bind(*args, **kwargs)
        bound.apply_defaults()  # f() and f(default) are one entry
        values = dict(bound.arguments)
        settings = values.pop(SETTINGS)
        # numpy's int64(7) and 7 would be two entries.
        plain = [v.item() if isinstance(v, np.generic) else v for v in values.values()]
        deps: dict[str, Any] = {}
        if self.depends_on:
            settings = settings or current_settings()
            for dep in self.depends_on:
                deps.update(dep.arguments(settings))
        return plain, deps

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        plain, deps = self._arguments(args, kwargs)
        return self._cached(*plain, **deps)

    def clear(self, *args: Any, **kwargs: Any) -> None:
        """Forget every entry; given the arguments of a call, only that call's entry."""
        if not args and not kwargs:
            self._cached.clear()
            return
        plain, deps = self._arguments(args, kwargs)
        self._cached.clear(*plain, **deps)


def cached_loader(
    *,
    ttl: float | None = None,
    max_entries: int | None = None,
    depends_on: tuple[Dependency, ...] = (),
    resource: bool = False,
) -> Callable[[Callable[..., Any]], Loader]:
    """Make a function a `Loader`: cached by `st.cache_data` (a copy per caller) or, with
    `resource`, by `st.cache_resource` (one object shared read-only), for `ttl` seconds and
    at most `max_entries` entries.

    Streamlit's caches are shared by every user of the process, so what a loader returns
    must follow from its cache key. A loader therefore reads only

    - its positional arguments, part of the key, except those named with a leading
      underscore: such an argument (a frame, a list of ids) must be identified by another
      one (the fingerprint of its content, the change marker), never by its own identity;
    - its dependencies, `depends_on`: its keyword-only arguments, which must be exactly
      theirs, filled in from the settings passed to the call (the run's when omitted).
      Each gives a value that is part of the key (never a secret: the API key is there as
      a one-way fingerprint) and, where needed, a handle to read through (a client, an
      open log), named with a leading underscore and left out of the key.

    Never the session, the secrets, the environment, the language (`_`: what a loader
    returns is shared by readers of every language), another loader or a module's changing
    state; tests/unit/test_cached_loaders.py checks every loader's body for that."""

    def wrap(fn: Callable[..., Any]) -> Loader:
        return Loader(
            fn, ttl=ttl, max_entries=max_entries, depends_on=tuple(depends_on), resource=resource
        )

    return wrap


class Unavailable(RuntimeError):
    """A shared store cannot be opened; the message is a sentence (`sentence`, with the
    error's type for `{error}`)."""

    @staticmethod
    def sentence() -> str:
        raise NotImplementedError


def open_or_unavailable(opener: Callable[[str], T], url: str, unavailable: type[Unavailable]) -> T:
    """``opener(url)``, or `unavailable` with its sentence when that fails (the database
    missing, a wrong URL...)."""
    try:
        return opener(url)
    except Exception as exc:
        raise unavailable(unavailable.sentence().format(error=type(exc).__name__)) from exc
