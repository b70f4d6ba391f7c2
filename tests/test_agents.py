"""The LLM backends of assess and arrange against a local OpenAI-compatible server with scripted replies.

The server (tests/fake_llm.py) runs on 127.0.0.1 in a thread; it records every request, so the
speaking order, the carried-over verdicts and the corrections sent back are checked from what the
agents actually sent. No network, no model: the replies are what a model could say, good and bad.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from fc_backend.agents import LLMSettings, Task, llm_settings, parse_answer
from fc_backend.arrange import arrange
from fc_backend.arrange.llm import ROLES
from fc_backend.assess import assess
from fc_backend.assess.assessor import CRITERIA
from fc_backend.cli import main
from fc_backend.config import Config
from fc_backend.schemes import load_instruments, validate_scheme
from tests.fake_llm import fake_llm
from tests.test_arrange import action_clip, calm_clip, make_melody
from tests.test_assess import DORIAN_TUNE, _spotting, tune_melody

LIBRARY = load_instruments()
REVIEWER_KEYS = dict(CRITERIA)


def llm_config(base_url: str, retries: int = 2) -> Config:
    config = Config()
    config.llm_base_url, config.llm_model, config.llm_max_retries = base_url, "scripted", retries  # type: ignore[attr-defined]
    return config


def agent_of(request: dict[str, Any]) -> str:
    """Which agent sent a request, from the role its system message plays."""
    system = request["messages"][0]["content"]
    m = re.match(r"You are the (\w+) (?:reviewer|role|of)", system)
    assert m, system[:80]
    return m[1].lower()


def scripted(
    replies: dict[str, list[str] | Callable[[dict[str, Any]], str]],
) -> Callable[[dict[str, Any]], str]:
    """Each agent's replies in order (the last one repeats), or a function of the request."""
    seen: dict[str, int] = {}

    def reply(request: dict[str, Any]) -> str:
        who = agent_of(request)
        script = replies.get(who, ["I would rather not say."])
        if callable(script):
            return script(request)
        seen[who] = seen.get(who, 0) + 1
        return script[min(seen[who], len(script)) - 1]

    return reply


def verdict(reviewer: str, score: float, note: str = "") -> str:
    return json.dumps(
        {
            "reasoning": f"{reviewer} listened carefully {note}",
            "criteria": [
                {"key": k, "score": score, "reason": f"{reviewer} {note} says {score} for {k}"}
                for k in REVIEWER_KEYS[reviewer]
            ],
        }
    )


# ------------------------------------------------------------------------------------------ plumbing


def test_answers_are_read_out_of_prose_and_fences_and_checked_against_the_schema() -> None:
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["x"],
        "properties": {"x": {"type": "array", "maxItems": 2, "items": {"enum": ["a", "b"]}}},
    }
    task = Task(
        "t",
        "",
        schema,
        lambda: {"x": []},
        lambda a: ["x: a and b may not repeat"] if a["x"] == ["a", "a"] else [],
    )
    assert parse_answer('Sure! ```json\n{"x": ["a"]}\n``` Hope this helps.', task) == ({"x": ["a"]}, None)
    assert parse_answer('{"x": ["a", "b"]}', task)[0] == {"x": ["a", "b"]}
    for text, problem in (
        ("no json here", "holds no JSON object"),
        ('{"x": [1,}', "not valid JSON"),
        ('{"x": ["a", "b", "a"]}', "x: has 3 items"),
        ('{"x": ["c"]}', "x[0]: 'c' is not one of"),
        ("{}", "'x' is a required property"),
        ('{"x": ["a", "a"]}', "may not repeat"),
    ):
        answer, found = parse_answer(text, task)
        assert answer is None and problem in found, (text, found)


def test_settings_come_from_the_config_and_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert llm_settings(Config()) is None
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("FC_LLM_API_KEY", "sk-local-123")
    settings = llm_settings(llm_config("http://127.0.0.1:9/v1/", retries=1))
    assert settings == LLMSettings("http://127.0.0.1:9/v1", "scripted", "sk-local-123", 1)
    entry = settings.llm_config()["config_list"][0]
    assert entry["response_format"] == {"type": "json_object"}  # llama.cpp's server rejects json_schema
    assert settings.llm_config()["cache_seed"] is None


# ---------------------------------------------------------------------------------------- assessment


def test_reviewers_speak_in_order_each_seeing_the_earlier_verdicts() -> None:
    replies = {r: [verdict(r, 0.5 + 0.1 * i, note=f"#{i}")] for i, r in enumerate(REVIEWER_KEYS)}
    spotting = _spotting("joyous")
    with fake_llm(scripted(replies)) as server:
        result = assess(tune_melody("ode_to_joy"), spotting, llm_config(server.base_url))
    assert [agent_of(r) for r in server.requests] == list(REVIEWER_KEYS)
    assert all(
        r["response_format"] == {"type": "json_object"} and r["model"] == "scripted" for r in server.requests
    )
    for i, request in enumerate(server.requests):
        opening = request["messages"][-1]["content"]
        assert "m1 [chord C maj]: E4:1 E4:1 F4:1 G4:1" in opening  # the melody, measure by measure
        for earlier in list(REVIEWER_KEYS)[:i]:
            assert f"Verdict of {earlier}_reviewer" in opening and f"{earlier} listened carefully" in opening
        for later in list(REVIEWER_KEYS)[i + 1 :]:
            assert f"Verdict of {later}_reviewer" not in opening
    assert len(result.criteria) == 19 and [c.key for c in result.criteria] == [
        k for _, ks in CRITERIA for k in ks
    ]
    for i, reviewer in enumerate(REVIEWER_KEYS):
        mine = [c for c in result.criteria if c.reviewer == reviewer]
        assert all(c.score == pytest.approx(0.5 + 0.1 * i) and c.reason.startswith(reviewer) for c in mine)
    assert result.total == pytest.approx(
        sum((0.5 + 0.1 * i) * len(REVIEWER_KEYS[r]) for i, r in enumerate(REVIEWER_KEYS))
    )


def test_bad_verdicts_are_sent_back_then_replaced_by_the_rule_based_reviewer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    melody = tune_melody("greensleeves")
    rules = {c.key: c for c in assess(melody).criteria}
    too_high = json.loads(verdict("melody", 0.7))
    too_high["criteria"][2]["score"] = 1.5
    missing = json.loads(verdict("rhythm", 0.9))
    missing["criteria"][3]["key"] = "rhythmic_clarity"  # spot_alignment left out, another key twice
    replies = {
        "mode": ["The mode is clearly A minor, I'd say 0.9 overall."],  # prose, then fixed
        "melody": [json.dumps(too_high), verdict("melody", 0.7)],
        "harmony": ["not json at all", '{"reasoning": "x", "criteria": []}', '{"criteria": [1, 2, 3, 4]'],
        "rhythm": [json.dumps(missing)],
        "emotion": [verdict("emotion", 0.4)],
    }
    replies["mode"].append(verdict("mode", 0.8))
    with caplog.at_level(logging.WARNING), fake_llm(scripted(replies)) as server:
        result = assess(melody, None, llm_config(server.base_url, retries=2))
    order = [agent_of(r) for r in server.requests]
    assert order == ["mode"] * 2 + ["melody"] * 2 + ["harmony"] * 3 + ["rhythm"] * 3 + ["emotion"]
    corrections = [r["messages"][-1]["content"] for r in server.requests if len(r["messages"]) > 2]
    assert any("holds no JSON object" in c for c in corrections)
    assert any("criteria[2].score: 1.5 is greater than the maximum of 1" in c for c in corrections)
    assert any("'spot_alignment' is missing" in c for c in corrections)
    scores = {c.key: c for c in result.criteria}
    assert scores["key_clarity"].score == 0.8 and scores["contour"].score == 0.7  # retried answers stand
    for reviewer in ("harmony", "rhythm"):  # never valid: the rule-based reviewer's verdict, reason and all
        for key in REVIEWER_KEYS[reviewer]:
            assert (scores[key].score, scores[key].reason) == (rules[key].score, rules[key].reason)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 and "harmony_reviewer" in warned[0] and "rhythm_reviewer" in warned[1]
    assert "rule-based answer is used" in warned[0]


def test_an_endpoint_that_fails_leaves_the_rule_based_assessment(caplog: pytest.LogCaptureFixture) -> None:
    def crash(request: dict[str, Any]) -> str:
        raise RuntimeError("model not loaded")

    melody = tune_melody("twinkle")
    with caplog.at_level(logging.WARNING), fake_llm(crash) as server:
        result = assess(melody, None, llm_config(server.base_url, retries=1))
    assert len(server.requests) == 10  # five reviewers, two tries each, no hidden client retries
    assert result.to_dict() == assess(melody).to_dict()
    assert sum("rule-based answer is used" in r.getMessage() for r in caplog.records) == 5


def test_assess_command_takes_the_llm_endpoint(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    abc = tmp_path / "air.abc"
    abc.write_text(DORIAN_TUNE, encoding="utf-8")
    replies = {r: [verdict(r, 0.25)] for r in REVIEWER_KEYS}
    with fake_llm(scripted(replies)) as server:
        assert (
            main(["assess", str(abc), "--json", "--llm-base-url", server.base_url, "--llm-model", "m"]) == 0
        )
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == pytest.approx(19 * 0.25) and len(server.requests) == 5
    assert {r["model"] for r in server.requests} == {"m"}


# --------------------------------------------------------------------------------------- arrangement


def draft_from(request: dict[str, Any]) -> dict[str, Any]:
    """The draft scheme the director last showed the room."""
    for message in reversed(request["messages"]):
        text = message["content"] or ""
        if "Draft scheme so far: " in text:
            return json.loads(text.split("Draft scheme so far: ", 1)[1].split("\n", 1)[0])
    raise AssertionError("no draft in the conversation")


def reviewer_signs_off(request: dict[str, Any]) -> str:
    """What a good Reviewer does: copy the draft, adjust one thing, issue it."""
    scheme = copy.deepcopy(draft_from(request))
    scheme["tracks"][0]["reverb_space"] = 0.42
    return json.dumps({"reasoning": "All parts fit; a touch more air on the flute.", "scheme": scheme})


CALM_ANSWERS: dict[str, Any] = {  # a calm 14-measure clip whose middle shot (measures 6..9) is still
    "analyze": {
        "reasoning": "Calm lake, still in the middle.",
        "intensity": [0.2] * 5 + [0.1] * 4 + [0.2] * 5,
        "sections": [
            {"name": "A", "measures": [1, 5], "intensity": 0.2},
            {"name": "B", "measures": [6, 9], "intensity": 0.1},
            {"name": "A'", "measures": [10, 14], "intensity": 0.2},
        ],
    },
    "arrange": {
        "reasoning": "Four parts; the accompaniment rests in B.",
        "parts": [
            {"role": "melody", "source": "melody", "softened_measures": []},
            {"role": "harmony", "source": "chords", "softened_measures": [6, 7, 8, 9]},
            {"role": "bass", "source": "bass", "softened_measures": [6, 7, 8, 9]},
            {"role": "ostinato", "source": "ostinato", "softened_measures": [7, 8]},
        ],
    },
    "instrument": {
        "reasoning": "Pastoral.",
        "library_summary": "Strings, winds, brass, harp, keys, choir.",
        "tracks": [
            {"track_index": 1, "instrument": "alto_flute", "transpose": 0, "articulation": "legato"},
            {"track_index": 2, "instrument": "strings2_ensemble", "transpose": 0, "articulation": "sustain"},
            {"track_index": 3, "instrument": "cellos", "transpose": 0, "articulation": "legato"},
            {"track_index": 4, "instrument": "harp", "transpose": 0, "articulation": "legato"},
        ],
    },
    "volume": {
        "reasoning": "Quiet, quieter in B.",
        "tracks": [
            {"track_index": i, "volume_envelope": {"measure1": 0.6, "measure6": 0.35, "measure10": 0.6}}
            for i in range(1, 5)
        ],
    },
    "mixing": {
        "reasoning": "Seating; a hall.",
        "tracks": [
            {"track_index": i, "panning": p, "reverb_space": 0.5}
            for i, p in zip(range(1, 5), (-0.1, 0.0, 0.35, -0.3), strict=True)
        ],
    },
}


def test_arranger_roles_speak_in_the_fixed_order_and_build_the_scheme() -> None:
    replies: dict[str, Any] = {role: [json.dumps(a)] for role, a in CALM_ANSWERS.items()}
    replies["reviewer"] = reviewer_signs_off
    melody, clip = make_melody(), calm_clip()
    with fake_llm(scripted(replies)) as server:
        scheme = arrange(melody, clip, llm_config(server.base_url))
    assert [agent_of(r) for r in server.requests] == list(ROLES)
    assert validate_scheme(scheme.to_dict()) == scheme
    assert [t.instrument for t in scheme.tracks] == ["alto_flute", "strings2_ensemble", "cellos", "harp"]
    assert [s.name for s in scheme.sections] == ["A", "B", "A'"] and scheme.measures == 14
    assert (
        scheme.tracks[0].reverb_space == 0.42 and scheme.tracks[1].reverb_space == 0.5
    )  # the Reviewer's word
    assert scheme.tracks[3].softened_measures == [7, 8]
    assert scheme.tracks[2].volume_envelope == {1: 0.6, 6: 0.35, 10: 0.6}
    # each role saw the draft as the roles before it left it
    assert "Clip: 35.0 s, emotion calm" in server.requests[0]["messages"][1]["content"]
    assert [t["role"] for t in draft_from(server.requests[2])["tracks"]] == [
        "melody",
        "harmony",
        "bass",
        "ostinato",
    ]
    assert draft_from(server.requests[3])["tracks"][0]["instrument"] == "alto_flute"
    assert "alto_flute: Alto Flute, woodwinds, range 55-91" in server.requests[2]["messages"][0]["content"]


def test_unknown_instruments_and_unplayable_parts_are_sent_back_then_replaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kazoo = copy.deepcopy(CALM_ANSWERS["instrument"])
    kazoo["tracks"][3]["instrument"] = "kazoo_choir"
    too_high = copy.deepcopy(CALM_ANSWERS["instrument"])
    too_high["tracks"][0]["instrument"] = "piccolo"  # 74..108 cannot hold a melody reaching down to 62
    loud = copy.deepcopy(CALM_ANSWERS["volume"])
    loud["tracks"][0]["volume_envelope"]["measure3"] = 7.0
    replies: dict[str, Any] = {
        "analyze": [
            '{"reasoning": "short", "intensity": [0.2, 0.2], "sections": []}'
        ],  # wrong length: falls back
        "arrange": [json.dumps(CALM_ANSWERS["arrange"])],
        "instrument": [json.dumps(kazoo), json.dumps(too_high), json.dumps(CALM_ANSWERS["instrument"])],
        "volume": [json.dumps(loud)],
        "mixing": ["Pan the flute left, please."],
        "reviewer": ['```json\n{"reasoning": "done"}\n```'],
    }
    melody, clip = make_melody(), calm_clip()
    rule = arrange(melody, clip)
    with caplog.at_level(logging.WARNING), fake_llm(scripted(replies)) as server:
        scheme = arrange(melody, clip, llm_config(server.base_url))
    order = [agent_of(r) for r in server.requests]
    assert (
        order
        == ["analyze"] * 3
        + ["arrange"]
        + ["instrument"] * 3
        + ["volume"] * 3
        + ["mixing"] * 3
        + ["reviewer"] * 3
    )
    said = "\n".join(
        m["content"] or "" for m in server.requests[-1]["messages"] if m.get("name") == "director"
    )
    assert "sections: has 0 items, at least 1 allowed" in said
    assert "'kazoo_choir' is not one of" in said
    assert "piccolo plays 74..108, the melody transposed by 0 spans 62..74" in said
    assert "volume_envelope.measure3: 7.0 is greater than the maximum of 2" in said
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split()[2] for w in warned if "LLM agent" in w] == ["analyze", "volume", "mixing", "reviewer"]
    # the answers that stood (arrange, instrument) shaped the scheme; rules filled in the rest
    assert validate_scheme(scheme.to_dict()) == scheme
    assert [t.instrument for t in scheme.tracks] == ["alto_flute", "strings2_ensemble", "cellos", "harp"]
    assert scheme.sections == rule.sections
    assert scheme.tracks[0].volume_envelope != {1: 0.6, 6: 0.35, 10: 0.6}
    assert all(
        t.softened_measures == a["softened_measures"]
        for t, a in zip(scheme.tracks, CALM_ANSWERS["arrange"]["parts"], strict=True)
    )


@pytest.mark.parametrize("clip", [calm_clip, action_clip])
def test_a_model_that_only_talks_nonsense_gets_the_rule_based_scheme(clip: Callable, caplog) -> None:
    melody, spotting = make_melody(low=40, high=60), clip()
    with caplog.at_level(logging.WARNING), fake_llm(lambda request: "Lovely film!") as server:
        scheme = arrange(melody, spotting, llm_config(server.base_url, retries=0))
    assert [agent_of(r) for r in server.requests] == list(ROLES)
    assert scheme.to_dict() == arrange(melody, spotting).to_dict()
    assert sum("LLM agent" in r.getMessage() for r in caplog.records) == len(ROLES)
