"""Reward set-up helpers: get_turn_rewards is a reward source, never a tool the model is shown or can call."""

from types import SimpleNamespace

from grpo_plus.reward_setup import hide_turn_reward_tools, hide_turn_rewards


class Env:
    def reset(self, **kwargs):
        return None

    def count(self, n: int) -> int:
        """Count.

        Args:
            n: how many.
        """
        return n

    def get_turn_rewards(self):
        return [1.0]


def test_hide_turn_rewards_in_lists_and_tool_dicts():
    env = Env()
    assert hide_turn_rewards([env.count, env.get_turn_rewards]) == [env.count]
    assert hide_turn_rewards({"count": env.count, "get_turn_rewards": env.get_turn_rewards}) == {"count": env.count}


def test_hide_turn_reward_tools_on_the_trainer_state_trl_built():
    env = Env()
    trainer = SimpleNamespace(_env_tools={None: [env.count, env.get_turn_rewards]}, tools=[env.count, env.get_turn_rewards])
    hide_turn_reward_tools(trainer)
    assert trainer._env_tools == {None: [env.count]} and trainer.tools == [env.count]
    plain = SimpleNamespace(tools=[env.count])  # no environment: nothing to do
    hide_turn_reward_tools(plain)
    assert plain.tools == [env.count]


def test_turn_rewards_receive_the_turns_when_they_take_an_argument():
    from grpo_plus.reward_setup import _turn_reward

    class Counts:
        def get_turn_rewards(self, turns):
            return [float(len(t)) for t in turns]

    class Plain:
        def get_turn_rewards(self):
            return [0.5]

    steps = [["ab", "cde"], ["x"]]
    assert _turn_reward(Counts)(steps=steps, environments=[Counts(), Plain()]) == [[2.0, 3.0], [None]]
    assert _turn_reward(Plain)(steps=steps, environments=[Counts(), Plain()]) == [[None, None], [0.5]]
