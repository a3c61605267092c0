"""The reward registry: one small mechanism to name rewards and find them again.

A reward is registered under a name with a level:

- ``"outcome"``: TRL's signature ``f(completions, **kwargs) -> list[float | None]``, one value per completion;
- ``"step"``: ``f(steps=list[list[str]], completions=..., **kwargs) -> list[list[float | None]]``, one list of
  ``S_i`` values per completion (``steps[i]`` is the trainer's split of completion ``i``).

The decorated object is either the reward function itself, or a factory (a class, or a function registered with
``factory=True``) whose keyword arguments configure the reward and which returns the reward callable::

    @register_reward("shouting", level="outcome")
    def shouting(completions, **kwargs):
        return [float(c.isupper()) for c in completions]

    @register_reward("length_cap")
    class LengthCap:
        def __init__(self, max_chars: int = 200): ...
        def __call__(self, completions, **kwargs): ...

``get_reward(name, **kwargs)`` returns a callable whose ``__name__`` is the registry name (TRL names its metrics
``rewards/<__name__>/mean``) and whose ``reward_level`` is the level. Keyword arguments go to the factory, or are
bound to a plain reward function (they then take precedence over the trainer's keyword arguments of the same name).

Third-party packages register through the entry-point group ``grpo_plus.rewards``: the entry point's name is the
registry name and its value an import path (``package.module:attribute``) of a reward function or factory. Entry
points are discovered on the first lookup or listing and each is imported only when its name is first needed.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ._names import did_you_mean, split_names

logger = logging.getLogger(__name__)

LEVELS = ("outcome", "step")
ENTRY_POINT_GROUP = "grpo_plus.rewards"
_MARKER = "__grpo_plus_reward__"
_INVALID_NAME_CHARS = set(":/,\\ \t\n=")


class RewardInfo(NamedTuple):
    """One row of :func:`list_rewards`."""

    name: str
    level: str
    description: str


@dataclass(frozen=True)
class _Entry:
    name: str
    level: str
    target: Any
    factory: bool
    description: str
    source: str


def _check_level(level: str, what: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"{what}: level={level!r} is not valid; choose one of {list(LEVELS)}")


def _first_doc_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    for line in doc.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _source(obj: Any) -> str:
    module = getattr(obj, "__module__", None) or "?"
    qualname = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    return f"{module}:{qualname}"


def _is_torch_module(obj: Any) -> bool:
    nn = sys.modules.get("torch.nn")
    return nn is not None and isinstance(obj, nn.Module)


class NamedReward:
    """A reward callable carrying its registry name, level and bound keyword arguments.

    Picklable whenever the wrapped function is (module-level functions and instances of module-level classes are).
    """

    def __init__(self, func: Callable, name: str, level: str, kwargs: Mapping[str, Any] | None = None):
        self.func = func
        self.keywords = dict(kwargs or {})
        self.__name__ = name
        self.__qualname__ = name
        self.__doc__ = getattr(func, "__doc__", None)
        self.reward_level = level

    def __call__(self, *args, **kwargs):
        if self.keywords:
            kwargs = {**kwargs, **self.keywords}
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        bound = ", ".join(f"{k}={v!r}" for k, v in self.keywords.items())
        return f"<reward {self.__name__!r} ({self.reward_level}) {_source(self.func)}({bound})>"


class AsyncNamedReward(NamedReward):
    """:class:`NamedReward` of a coroutine function: TRL awaits it on its event loop with the other async rewards."""

    async def __call__(self, *args, **kwargs):
        if self.keywords:
            kwargs = {**kwargs, **self.keywords}
        return await self.func(*args, **kwargs)


def _is_async(func: Any) -> bool:
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(getattr(func, "__call__", None))


def _callable_name(func: Any) -> str:
    """A callable's display name as TRL derives it (a ``functools.partial`` is named after the wrapped function)."""
    while isinstance(func, functools.partial) and not getattr(func, "__name__", None):
        func = func.func
    return getattr(func, "__name__", None) or type(func).__name__


def _named(func: Callable, name: str, level: str, kwargs: Mapping[str, Any] | None = None) -> NamedReward:
    cls = AsyncNamedReward if _is_async(func) else NamedReward
    return cls(func, name, level, kwargs)


def _accepted_parameters(target: Any) -> tuple[list[str], bool]:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return [], True
    names = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    ]
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    return names, var_kw


def _instantiate(name: str, level: str, target: Any, factory: bool, kwargs: dict[str, Any]) -> Callable:
    """Build the reward callable for ``target`` with ``kwargs``, named ``name``."""
    accepted, var_kw = _accepted_parameters(target)
    if factory:
        try:
            inspect.signature(target).bind(**kwargs)
        except TypeError as err:
            raise ValueError(f"reward '{name}': {err}; accepted keyword arguments: {accepted}") from None
        except ValueError:
            pass
        reward = target(**kwargs)
        if not callable(reward):
            raise TypeError(f"reward '{name}': the factory {_source(target)} returned a non-callable {reward!r}")
        if inspect.isfunction(reward) or inspect.ismethod(reward) or not hasattr(reward, "__dict__"):
            return _named(reward, name, level)
        reward.__name__ = name
        reward.reward_level = level
        return reward
    unknown = [k for k in kwargs if k not in accepted]
    if unknown and not var_kw:
        raise ValueError(f"reward '{name}': unknown keyword arguments {unknown}; accepted keyword arguments: {accepted}")
    if not kwargs and getattr(target, "__name__", None) == name and getattr(target, "reward_level", None) == level:
        return target
    return _named(target, name, level, kwargs)


class RewardRegistry:
    """Names → rewards. The module-level functions below use one default instance."""

    def __init__(self, entry_point_group: str | None = ENTRY_POINT_GROUP):
        self.entry_point_group = entry_point_group
        self._entries: dict[str, _Entry] = {}
        self._pending: dict[str, importlib.metadata.EntryPoint] | None = None
        self._loading: set[str] = set()
        self._lock = threading.RLock()

    def register(
        self,
        name: str,
        target: Any,
        *,
        level: str = "outcome",
        factory: bool | None = None,
        description: str | None = None,
        replace: bool = False,
    ) -> _Entry:
        if not isinstance(name, str) or not name or _INVALID_NAME_CHARS & set(name):
            raise ValueError(f"invalid reward name {name!r}: use a non-empty name without ':', '/', ',', '=' or spaces")
        _check_level(level, f"register_reward({name!r})")
        if not callable(target):
            raise TypeError(f"register_reward({name!r}): {target!r} is not callable")
        factory = inspect.isclass(target) if factory is None else bool(factory)
        entry = _Entry(
            name=name,
            level=level,
            target=target,
            factory=factory,
            description=description if description is not None else _first_doc_line(target),
            source=_source(target),
        )
        with self._lock:
            existing = self._entries.get(name)
            if existing is not None and existing.target is not target and not replace:
                raise ValueError(
                    f"reward name '{name}' is already registered by {existing.source}; "
                    f"cannot register {entry.source} under the same name (pick another name)"
                )
            self._entries[name] = entry
        return entry

    def _discover(self) -> dict[str, importlib.metadata.EntryPoint]:
        with self._lock:
            if self._pending is None:
                pending: dict[str, importlib.metadata.EntryPoint] = {}
                if self.entry_point_group:
                    for ep in importlib.metadata.entry_points(group=self.entry_point_group):
                        other = pending.get(ep.name)
                        if other is not None and other.value != ep.value:
                            raise ValueError(
                                f"reward name '{ep.name}' is declared by two entry points in group "
                                f"'{self.entry_point_group}': {other.value!r} and {ep.value!r}"
                            )
                        pending[ep.name] = ep
                self._pending = pending
            return self._pending

    def refresh_entry_points(self) -> None:
        """Forget discovered entry points that were not loaded yet; the next lookup scans installed packages again."""
        with self._lock:
            self._pending = None

    def _load_entry_point(self, name: str) -> None:
        with self._lock:
            ep = self._discover().pop(name)
            self._loading.add(name)
            try:
                obj = ep.load()
            except Exception as err:
                raise ImportError(
                    f"reward '{name}': cannot load entry point '{name} = {ep.value}' "
                    f"(group '{self.entry_point_group}'): {type(err).__name__}: {err}"
                ) from err
            finally:
                self._loading.discard(name)
            meta: _Entry | None = getattr(obj, _MARKER, None)
            existing = self._entries.get(name)
            if existing is not None:
                if existing.target is not obj:
                    raise ValueError(
                        f"reward name '{name}' is already registered by {existing.source}; the entry point "
                        f"'{name} = {ep.value}' (group '{self.entry_point_group}') defines it again"
                    )
                return
            if meta is not None:
                self.register(name, obj, level=meta.level, factory=meta.factory, description=meta.description)
            else:
                level = getattr(obj, "reward_level", "outcome")
                _check_level(level, f"entry point '{name} = {ep.value}'")
                self.register(name, obj, level=level)

    def _lookup(self, name: str) -> _Entry:
        with self._lock:
            if name in self._discover():
                self._load_entry_point(name)
            entry = self._entries.get(name)
        if entry is None:
            raise ValueError(self._unknown_message(name))
        return entry

    def names(self) -> list[str]:
        with self._lock:
            return sorted(set(self._entries) | set(self._discover()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def _unknown_message(self, name: str) -> str:
        valid = self.names()
        hint = did_you_mean(name, valid)
        return f"unknown reward '{name}'{'; ' + hint if hint else ''} valid names: {', '.join(valid)}"

    def get(self, name: str, **kwargs: Any) -> Callable:
        entry = self._lookup(name)
        return _instantiate(entry.name, entry.level, entry.target, entry.factory, kwargs)

    def list(self) -> list[RewardInfo]:
        with self._lock:
            for name in list(self._discover()):
                try:
                    self._load_entry_point(name)
                except ImportError as err:
                    logger.warning("%s (skipped)", err)
            return [RewardInfo(e.name, e.level, e.description) for _, e in sorted(self._entries.items())]

    def resolve(self, spec: Any, **kwargs: Any) -> Callable | str:
        if isinstance(spec, str):
            text = spec.strip()
            if text in self.names():
                return self.get(text, **kwargs)
            if ":" in text:
                return _from_import_path(text, kwargs)
            if "/" in text or os.path.isdir(text):
                if kwargs:
                    raise ValueError(
                        f"reward '{text}' is a reward-model id (loaded by TRL as a sequence classifier); "
                        f"it takes no keyword arguments, got {sorted(kwargs)}"
                    )
                return text
            raise ValueError(self._unknown_message(text))
        if callable(spec):
            return _from_callable(spec, kwargs)
        raise TypeError(
            f"a reward must be a registry name, an import path 'module:function', a callable or a reward-model id; "
            f"got {type(spec).__name__} {spec!r}"
        )


def _from_callable(spec: Any, kwargs: dict[str, Any]) -> Callable:
    if _is_torch_module(spec):
        if kwargs:
            raise ValueError(f"reward model {type(spec).__name__} takes no keyword arguments, got {sorted(kwargs)}")
        return spec
    meta: _Entry | None = getattr(spec, _MARKER, None)
    if meta is not None and meta.target is spec:
        return _instantiate(meta.name, meta.level, spec, meta.factory, kwargs)
    name = _callable_name(spec)
    level = getattr(spec, "reward_level", "outcome")
    _check_level(level, f"reward {name!r}")
    if kwargs:
        return _instantiate(name, level, spec, False, kwargs)
    for attr, value in (("__name__", name), ("reward_level", level)):
        if getattr(spec, attr, None) != value:
            try:
                setattr(spec, attr, value)
            except (AttributeError, TypeError):
                return _named(spec, name, level)
    return spec


def _from_import_path(path: str, kwargs: dict[str, Any]) -> Callable:
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ValueError(f"invalid reward import path {path!r}: expected 'package.module:function'")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import reward {path!r}: {type(err).__name__}: {err}") from err
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            public = sorted(n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None)))
            raise ValueError(
                f"cannot import reward {path!r}: {module_name} has no attribute {attr!r}; callables there: {public}"
            ) from None
    if not callable(obj):
        raise ValueError(f"reward {path!r} is not callable (got {type(obj).__name__})")
    meta: _Entry | None = getattr(obj, _MARKER, None)
    if meta is not None and meta.target is obj:
        return _instantiate(meta.name, meta.level, obj, meta.factory, kwargs)
    if inspect.isclass(obj):
        level = getattr(obj, "reward_level", "outcome")
        _check_level(level, f"reward {path!r}")
        return _instantiate(attr.rsplit(".", 1)[-1], level, obj, True, kwargs)
    return _from_callable(obj, kwargs)


_REGISTRY = RewardRegistry()


def register_reward(
    name: str,
    *,
    level: str = "outcome",
    factory: bool | None = None,
    description: str | None = None,
    replace: bool = False,
) -> Callable[[Any], Any]:
    """Decorator: register a reward function or factory under ``name``.

    Args:
        name: registry name (also the ``__name__`` of the callables :func:`get_reward` returns, hence TRL's metric
            name ``rewards/<name>/mean``).
        level: ``"outcome"`` (one value per completion) or ``"step"`` (one list of values per completion).
        factory: whether the decorated object builds the reward from keyword arguments; defaults to True for classes
            and False for functions.
        description: one line shown by :func:`list_rewards`; defaults to the first line of the docstring.
        replace: allow re-registering an existing name (e.g. re-running a notebook cell); otherwise a duplicate name
            raises ``ValueError``.

    The object is returned unchanged except for two attributes: ``reward_level`` and a registration marker, so a
    decorated function can still be passed directly to a trainer.
    """

    def decorator(obj: Any) -> Any:
        entry = _REGISTRY.register(name, obj, level=level, factory=factory, description=description, replace=replace)
        setattr(obj, _MARKER, entry)
        obj.reward_level = level
        return obj

    return decorator


def get_reward(name: str, **kwargs: Any) -> Callable:
    """The reward registered as ``name``, configured with ``kwargs``. Unknown names raise and list the valid ones."""
    return _REGISTRY.get(name, **kwargs)


def list_rewards() -> list[RewardInfo]:
    """All registered rewards (built-ins, decorated, entry points) as ``(name, level, description)``, sorted by name."""
    return _REGISTRY.list()


def resolve_reward(spec: Any, **kwargs: Any) -> Callable | str:
    """Turn a reward spec into something TRL's ``GRPOTrainer(reward_funcs=...)`` accepts.

    Resolution order: registry name → ``"module:function"`` import path (a decorated object keeps its registry name
    and level; a plain function is an outcome reward unless it has ``reward_level``; a class is a factory) →
    callable (returned as is, ``__name__`` and ``reward_level`` filled in when missing; level defaults to
    ``"outcome"``) → a string containing ``/`` or naming an existing directory is a reward-model id and is returned
    unchanged (TRL loads it as a sequence-classification model) → ``ValueError`` with the closest valid name.
    """
    return _REGISTRY.resolve(spec, **kwargs)


def resolve_rewards(
    specs: str | Any | Iterable[Any], reward_kwargs: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Callable | str]:
    """Resolve a list of reward specs (or a comma-separated string) with per-reward keyword arguments.

    ``reward_kwargs`` maps a spec, exactly as listed (registry name, import path or model id; a callable's
    ``__name__``), to the keyword arguments for that reward. A key that matches no listed reward raises, as does a
    reward listed twice under the same name.
    """
    if isinstance(specs, str):
        items: list[Any] = split_names(specs)
    elif callable(specs):
        items = [specs]
    else:
        items = [s.strip() if isinstance(s, str) else s for s in specs]
    keys = [s if isinstance(s, str) else getattr(s, "__name__", type(s).__name__) for s in items]
    reward_kwargs = dict(reward_kwargs or {})
    unknown = sorted(set(reward_kwargs) - set(keys))
    if unknown:
        raise ValueError(f"reward_kwargs has entries {unknown} that match no listed reward; listed rewards: {keys}")
    for key, value in reward_kwargs.items():
        if not isinstance(value, Mapping):
            raise ValueError(f"reward_kwargs['{key}'] must be a mapping of keyword arguments, got {type(value).__name__}")
    resolved = [resolve_reward(spec, **dict(reward_kwargs.get(key, {}))) for spec, key in zip(items, keys)]
    seen: dict[str, str] = {}
    for key, reward in zip(keys, resolved):
        name = reward if isinstance(reward, str) else getattr(reward, "__name__", key)
        if name in seen:
            raise ValueError(f"reward '{name}' is listed twice ({seen[name]!r} and {key!r}); metric names would clash")
        seen[name] = key
    return resolved
