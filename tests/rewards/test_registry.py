"""Registry: decorator, lookup, listing, resolution order, import paths, and entry points of a real (tiny)
distribution discovered through importlib.metadata."""

from __future__ import annotations

import importlib.metadata
import logging
import pickle
import sys
import textwrap

import pytest

import rewards
from rewards import get_reward, list_rewards, register_reward, resolve_reward, resolve_rewards
from rewards import registry
from rewards.registry import NamedReward

BUILTINS = {
    "accuracy": "outcome",
    "format": "outcome",
    "format_lenient": "outcome",
    "tag_count": "outcome",
    "soft_overlong": "outcome",
    "repetition": "outcome",
    "arithmetic_steps": "step",
    "prm": "step",
}


def plain_reward(completions, **kwargs):
    """Length of each completion."""
    return [float(len(c)) for c in completions]


def strict_signature(completions, scale=1.0):
    return [scale * len(c) for c in completions]


def step_reward(steps, **kwargs):
    return [[1.0] * len(s) for s in steps]


step_reward.reward_level = "step"


class CountFactory:
    """Counts a character."""

    def __init__(self, char="a"):
        self.char = char

    def __call__(self, completions, **kwargs):
        return [float(c.count(self.char)) for c in completions]


@pytest.fixture
def isolated_registry(monkeypatch):
    """Snapshot and restore the default registry (entries and discovered entry points)."""
    reg = registry._REGISTRY
    entries = dict(reg._entries)
    reg.refresh_entry_points()
    yield reg
    reg._entries.clear()
    reg._entries.update(entries)
    reg.refresh_entry_points()


def test_builtins_are_registered_with_their_levels():
    listed = {info.name: info for info in list_rewards()}
    for name, level in BUILTINS.items():
        assert listed[name].level == level
        assert listed[name].description
    assert all(isinstance(info, rewards.RewardInfo) for info in listed.values())
    for name in ("accuracy", "format", "format_lenient", "tag_count", "repetition", "arithmetic_steps"):
        reward = get_reward(name)
        assert reward.__name__ == name
        assert reward.reward_level == BUILTINS[name]
    assert get_reward("soft_overlong", max_completion_length=100).__name__ == "soft_overlong"
    assert get_reward("prm", model="some/model").reward_level == "step"


def test_required_factory_arguments_are_reported():
    with pytest.raises(ValueError, match=r"reward 'soft_overlong'.*max_completion_length.*accepted keyword arguments"):
        get_reward("soft_overlong")
    with pytest.raises(ValueError, match=r"reward 'format'.*stric.*accepted keyword arguments: \['strict'"):
        get_reward("format", stric=False)


def test_unknown_name_suggests_and_lists():
    valid = ", ".join(sorted(registry._REGISTRY.names()))
    with pytest.raises(ValueError) as err:
        get_reward("accurcy")
    assert str(err.value) == f"unknown reward 'accurcy'; did you mean 'accuracy'? valid names: {valid}"
    with pytest.raises(ValueError) as err:
        resolve_reward("zzzzzz")
    assert str(err.value) == f"unknown reward 'zzzzzz' valid names: {valid}"


def test_register_decorator_duplicate_and_replace(isolated_registry):
    @register_reward("tmp_shout", level="outcome")
    def shout(completions, **kwargs):
        """Shouting."""
        return [1.0 for _ in completions]

    assert shout.reward_level == "outcome"
    reward = get_reward("tmp_shout")
    assert reward.__name__ == "tmp_shout" and reward(["a", "b"]) == [1.0, 1.0]
    assert ("tmp_shout", "outcome", "Shouting.") in list_rewards()
    register_reward("tmp_shout")(shout)  # the same object again is not a duplicate

    def other(completions, **kwargs):
        return [0.0 for _ in completions]

    with pytest.raises(ValueError, match="'tmp_shout' is already registered by .*shout"):
        register_reward("tmp_shout")(other)
    register_reward("tmp_shout", replace=True)(other)
    assert get_reward("tmp_shout")(["a"]) == [0.0]


def test_invalid_registrations(isolated_registry):
    with pytest.raises(ValueError, match=r"level='token' is not valid; choose one of \['outcome', 'step'\]"):
        register_reward("tmp_bad", level="token")(plain_reward)
    for bad in ("", "a:b", "a/b", "a,b", "a b"):
        with pytest.raises(ValueError, match="invalid reward name"):
            register_reward(bad)(plain_reward)
    with pytest.raises(TypeError, match="not callable"):
        register_reward("tmp_bad")(42)


def test_plain_function_with_kwargs_is_wrapped_and_picklable(isolated_registry):
    registry._REGISTRY.register("tmp_len", plain_reward)
    registry._REGISTRY.register("tmp_strict", strict_signature)
    reward = get_reward("tmp_len", factor=2)
    assert isinstance(reward, NamedReward)
    assert reward.__name__ == "tmp_len" and reward.reward_level == "outcome"
    assert reward.keywords == {"factor": 2}
    scaled = get_reward("tmp_strict", scale=2.0)
    assert scaled(["abc"]) == [6.0]
    assert scaled(["abc"], scale=5.0) == [6.0]  # bound configuration wins over a same-named call argument
    with pytest.raises(ValueError, match=r"reward 'tmp_strict': unknown keyword arguments \['factor'\]"):
        get_reward("tmp_strict", factor=2)
    restored = pickle.loads(pickle.dumps(scaled))
    assert restored.__name__ == "tmp_strict" and restored(["ab"]) == [4.0]
    assert get_reward("tmp_len") is not plain_reward  # __name__ differs from the registry name: wrapped
    assert get_reward("tmp_len").__name__ == "tmp_len"


def test_builtin_rewards_pickle():
    for name in ("accuracy", "format", "tag_count", "repetition", "arithmetic_steps"):
        reward = pickle.loads(pickle.dumps(get_reward(name)))
        assert reward.__name__ == name
    prm = pickle.loads(pickle.dumps(get_reward("prm", model="x/y")))
    assert prm.model_name == "x/y" and prm.__name__ == "prm"


def test_resolve_order():
    assert resolve_reward("format").__name__ == "format"
    # import path to a plain function: the function itself, outcome level
    fn = resolve_reward("tests.rewards.test_registry:plain_reward")
    assert fn is plain_reward and fn.reward_level == "outcome"
    # import path with reward_level
    assert resolve_reward("tests.rewards.test_registry:step_reward").reward_level == "step"
    # import path to a class: a factory
    counter = resolve_reward("tests.rewards.test_registry:CountFactory", char="b")
    assert counter(["abba"]) == [2.0] and counter.__name__ == "CountFactory"
    # import path to a decorated built-in keeps its registry name and level
    steps = resolve_reward("rewards.steps:ArithmeticSteps", no_equation=0.5)
    assert steps.__name__ == "arithmetic_steps" and steps.reward_level == "step" and steps.no_equation == 0.5
    # callables
    assert resolve_reward(plain_reward) is plain_reward
    bound = resolve_reward(strict_signature, scale=3.0)
    assert bound.__name__ == "strict_signature" and bound(["a"]) == [3.0]
    assert resolve_reward(get_reward("arithmetic_steps")).reward_level == "step"
    # reward-model ids and local directories stay strings (TRL loads them)
    assert resolve_reward("org/reward-model") == "org/reward-model"


def test_resolve_model_directory_and_errors(tmp_path):
    model_dir = tmp_path / "my_rm"
    model_dir.mkdir()
    assert resolve_reward(str(model_dir)) == str(model_dir)
    with pytest.raises(ValueError, match="reward-model id .* takes no keyword arguments"):
        resolve_reward("org/rm", x=1)
    with pytest.raises(ValueError, match="cannot import reward 'no_such_module_xyz:f'"):
        resolve_reward("no_such_module_xyz:f")
    with pytest.raises(ValueError, match="has no attribute 'nope'"):
        resolve_reward("tests.rewards.test_registry:nope")
    with pytest.raises(TypeError, match="a reward must be"):
        resolve_reward(42)


def test_resolve_callable_fills_missing_attributes():
    import functools

    partial = functools.partial(strict_signature, scale=2.0)
    resolved = resolve_reward(partial)
    assert resolved is partial
    assert resolved.__name__ == "strict_signature" and resolved.reward_level == "outcome"  # TRL's naming of partials


async def async_reward(completions, bonus=0.0, **kwargs):
    return [len(c) + bonus for c in completions]


def test_async_rewards_stay_async(isolated_registry):
    import asyncio

    from trl.trainer.utils import get_callable_name, is_async_callable

    registry._REGISTRY.register("tmp_async", async_reward)
    reward = get_reward("tmp_async", bonus=1.0)
    assert is_async_callable(reward) and get_callable_name(reward) == "tmp_async"
    assert asyncio.run(reward(["ab"])) == [3.0]
    assert is_async_callable(resolve_reward(async_reward, bonus=2.0))
    assert not is_async_callable(get_reward("format"))


def test_resolve_passes_torch_modules_through():
    import torch

    module = torch.nn.Linear(1, 1)
    assert resolve_reward(module) is module
    assert not hasattr(module, "reward_level")


def test_resolve_rewards_list_string_and_kwargs():
    resolved = resolve_rewards("accuracy, format ,arithmetic_steps", {"format": {"strict": False}})
    assert [r.__name__ for r in resolved] == ["accuracy", "format", "arithmetic_steps"]
    assert resolved[1].strict is False
    resolved = resolve_rewards(["tag_count", plain_reward, "org/rm"], {"plain_reward": {"factor": 2}})
    assert resolved[0].__name__ == "tag_count" and resolved[1].keywords == {"factor": 2} and resolved[2] == "org/rm"
    with pytest.raises(ValueError, match=r"reward_kwargs has entries \['acuracy'\] that match no listed reward"):
        resolve_rewards("accuracy", {"acuracy": {"timeout": 1}})
    with pytest.raises(ValueError, match="reward 'format' is listed twice"):
        resolve_rewards("format,format")
    with pytest.raises(ValueError, match="must be a mapping"):
        resolve_rewards("format", {"format": ["strict"]})


PLUGIN = '''
from rewards import register_reward


def shout(completions, **kwargs):
    """1.0 for completions in capitals."""
    return [float(c.isupper()) for c in completions]


class Capped:
    """1.0 for completions of at most max_chars characters."""

    def __init__(self, max_chars=5):
        self.max_chars = max_chars

    def __call__(self, completions, **kwargs):
        return [float(len(c) <= self.max_chars) for c in completions]


def steps_fn(steps, **kwargs):
    return [[1.0] * len(s) for s in steps]


steps_fn.reward_level = "step"


@register_reward("plugin_decorated", level="step")
def decorated(steps, **kwargs):
    """Decorated in the plugin itself."""
    return [[0.5] * len(s) for s in steps]
'''


def _install_distribution(root, name, module, source, entry_points):
    """A minimal installed distribution: a module and a .dist-info with METADATA and entry_points.txt."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[grpo_plus.rewards]\n{lines}\n")


def test_entry_points_of_an_installed_distribution(isolated_registry, tmp_path, monkeypatch):
    _install_distribution(
        tmp_path,
        "grpo-test-plugin",
        "grpo_test_plugin",
        PLUGIN,
        {
            "shout": "grpo_test_plugin:shout",
            "capped": "grpo_test_plugin:Capped",
            "plugin_steps": "grpo_test_plugin:steps_fn",
            "plugin_decorated": "grpo_test_plugin:decorated",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "grpo_test_plugin", raising=False)
    found = {ep.name for ep in importlib.metadata.entry_points(group="grpo_plus.rewards")}
    assert {"shout", "capped", "plugin_steps", "plugin_decorated"} <= found

    assert "shout" in isolated_registry.names()
    assert "grpo_test_plugin" not in sys.modules  # discovered by name, not imported yet
    shout = get_reward("shout")
    assert "grpo_test_plugin" in sys.modules
    assert shout.__name__ == "shout" and shout.reward_level == "outcome"
    assert shout(["ABC", "abc"]) == [1.0, 0.0]
    capped = get_reward("capped", max_chars=2)
    assert capped(["ab", "abc"]) == [1.0, 0.0] and capped.__name__ == "capped"
    assert get_reward("plugin_steps").reward_level == "step"
    decorated = get_reward("plugin_decorated")  # registered by its own decorator on import: not a duplicate
    assert decorated.reward_level == "step" and decorated(steps=[["a", "b"]]) == [[0.5, 0.5]]
    listed = {info.name: info for info in list_rewards()}
    assert listed["capped"].description == "1.0 for completions of at most max_chars characters."
    assert resolve_rewards("shout,accuracy")[0].__name__ == "shout"


def test_entry_point_clashing_with_a_builtin_raises(isolated_registry, tmp_path, monkeypatch):
    _install_distribution(
        tmp_path, "grpo-clash", "grpo_clash", "def acc(completions, **kw):\n    return [0.0] * len(completions)\n",
        {"accuracy": "grpo_clash:acc"},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match=r"'accuracy' is already registered by rewards.accuracy:Accuracy; "
                       r"the entry point 'accuracy = grpo_clash:acc'"):
        get_reward("accuracy")


def test_broken_entry_point(isolated_registry, tmp_path, monkeypatch, caplog):
    _install_distribution(
        tmp_path, "grpo-broken", "grpo_broken", "def fine(completions, **kw):\n    return []\n",
        {"broken": "grpo_broken_missing:f"},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match="reward 'broken': cannot load entry point 'broken = grpo_broken_missing:f'"):
        get_reward("broken")
    isolated_registry.refresh_entry_points()
    with caplog.at_level(logging.WARNING, logger="rewards.registry"):
        names = [info.name for info in list_rewards()]
    assert "broken" not in names and "accuracy" in names
    assert any("grpo_broken_missing" in r.getMessage() for r in caplog.records)
