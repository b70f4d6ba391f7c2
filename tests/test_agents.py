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
from fc_backend.agents.endpoint import EndpointError
from fc_backend.arrange import ROLES, arrange
from fc_backend.assess import assess
from fc_backend.assess.panel import CRITERIA
from fc_backend.cli import main
from fc_backend.config import Config
from fc_backend.schemes import load_instruments, validate_scheme
from tests.fake_llm import fake_llm
from tests.test_arrange import action_clip, calm_clip, make_melody
from tests.test_assess import DORIAN_TUNE, _spotting, tune_melody

LIBRARY = load_instruments()
REVIEWER_KEYS = dict(CRITERIA)


def llm_config(base_url: str, retries: int = 2, **options: Any) -> Config:
    return Config(llm_base_url=base_url, llm_model="scripted", llm_max_retries=retries, **options)


def agent_of(request: dict[str, Any]) -> str:
    """Which agent sent a request, from the role its system message plays."""
    system = request["messages"][0]["content"]
    m = re.search(r"^You are the (\w+)\b", system, flags=re.MULTILINE)
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
            "criteria": {
                k: {"score": score, "reason": f"{reviewer} {note} says {score} for {k}"}
                for k in REVIEWER_KEYS[reviewer]
            },
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
    settings = llm_settings(llm_config("http://127.0.0.1:9/v1/", retries=1, llm_optional=True))
    assert settings == LLMSettings("http://127.0.0.1:9/v1", "scripted", "sk-local-123", 1, optional=True)


@pytest.mark.slow
def test_the_schema_itself_is_asked_for_where_the_endpoint_takes_it() -> None:
    replies = {r: [verdict(r, 0.5)] for r in REVIEWER_KEYS}
    with fake_llm(scripted(replies), accepts_schema=True) as server:
        result = assess(tune_melody("ode_to_joy"), None, llm_config(server.base_url))
    assert len(server.probes) == 1 and len(server.requests) == 5
    for request in server.requests:
        fmt = request["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"].endswith("_reviewer")
        keys = REVIEWER_KEYS[agent_of(request)]
        assert fmt["json_schema"]["schema"]["properties"]["criteria"]["required"] == list(keys)
        assert request["max_tokens"] == 80 + 45 * len(keys)
        assert len(json.dumps(request["messages"])) < 4500  # a 4k-token context holds it
    assert {d.by for d in result.decisions} == {"llm"}
    with fake_llm(scripted(replies)) as server:  # an endpoint without structured outputs: json_object
        assess(tune_melody("ode_to_joy"), None, llm_config(server.base_url))
    assert {r["response_format"]["type"] for r in server.requests} == {"json_object"}


# ---------------------------------------------------------------------------------------- assessment


def test_reviewers_speak_in_order_each_seeing_the_earlier_verdicts() -> None:
    replies = {r: [verdict(r, 0.5 + 0.1 * i, note=f"#{i}")] for i, r in enumerate(REVIEWER_KEYS)}
    spotting = _spotting("joyous")
    with fake_llm(scripted(replies), models=["other", "scripted"]) as server:
        result = assess(tune_melody("ode_to_joy"), spotting, llm_config(server.base_url))
    assert [agent_of(r) for r in server.requests] == list(REVIEWER_KEYS)
    assert all(r["model"] == "scripted" for r in server.requests)
    for i, request in enumerate(server.requests):
        opening = request["messages"][-1]["content"]
        assert "m1 [chord C maj]: E4:1 E4:1 F4:1 G4:1" in opening  # the melody, measure by measure
        for earlier in list(REVIEWER_KEYS)[:i]:
            assert f"Verdict of {earlier}_reviewer" in opening and f"{earlier} listened carefully" in opening
        for later in list(REVIEWER_KEYS)[i + 1 :]:
            assert f"Verdict of {later}_reviewer" not in opening
    assert [c.key for c in result.criteria] == [k for _, ks in CRITERIA for k in ks]
    for i, reviewer in enumerate(REVIEWER_KEYS):
        mine = [c for c in result.criteria if c.reviewer == reviewer]
        assert all(c.score == pytest.approx(0.5 + 0.1 * i) and c.reason.startswith(reviewer) for c in mine)
    record = result.to_dict()["decisions"]
    assert [(d["agent"], d["by"], d["model"]) for d in record] == [
        (f"{r}_reviewer", "llm", "scripted") for r in REVIEWER_KEYS
    ]


@pytest.mark.slow
def test_bad_verdicts_are_sent_back_then_replaced_by_the_rule_based_reviewer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    melody = tune_melody("greensleeves")
    rules = {c.key: c for c in assess(melody).criteria}
    too_high = json.loads(verdict("melody", 0.7))
    too_high["criteria"]["range"]["score"] = 1.5
    missing = json.loads(verdict("rhythm", 0.9))
    del missing["criteria"]["spot_alignment"]
    replies = {
        "mode": ["The mode is clearly A minor, I'd say 0.9 overall.", verdict("mode", 0.8)],
        "melody": [json.dumps(too_high), verdict("melody", 0.7)],
        "harmony": ["not json at all", '{"reasoning": "x", "criteria": {}}', '{"criteria": [1, 2, 3, 4]'],
        "rhythm": [json.dumps(missing)],
        "emotion": [verdict("emotion", 0.4)],
    }
    with caplog.at_level(logging.WARNING), fake_llm(scripted(replies)) as server:
        result = assess(melody, None, llm_config(server.base_url, retries=2))
    order = [agent_of(r) for r in server.requests]
    assert order == ["mode"] * 2 + ["melody"] * 2 + ["harmony"] * 3 + ["rhythm"] * 3 + ["emotion"]
    corrections = [r["messages"][-1]["content"] for r in server.requests if len(r["messages"]) > 2]
    assert any("holds no JSON object" in c for c in corrections)
    assert any("criteria.range.score: 1.5 is greater than the maximum of 1" in c for c in corrections)
    assert any("'spot_alignment' is a required property" in c for c in corrections)
    scores = {c.key: c for c in result.criteria}
    assert scores["key_clarity"].score == 0.8 and scores["contour"].score == 0.7  # retried answers stand
    for reviewer in ("harmony", "rhythm"):  # never valid: the rule-based reviewer's verdict, reason and all
        for key in REVIEWER_KEYS[reviewer]:
            assert (scores[key].score, scores[key].reason) == (rules[key].score, rules[key].reason)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2 and "harmony_reviewer" in warned[0] and "rhythm_reviewer" in warned[1]
    why = {d.agent: (d.by, d.why) for d in result.decisions}
    assert why["mode_reviewer"] == ("llm", "valid answer on try 2")
    assert why["harmony_reviewer"][0] == "rules" and "3 answers failed" in why["harmony_reviewer"][1]


@pytest.mark.slow
def test_a_server_error_stops_at_once_with_its_cause_and_optional_leaves_the_rules(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def crash(request: dict[str, Any]) -> str:
        raise RuntimeError("model not loaded")

    melody = tune_melody("twinkle")
    with fake_llm(crash) as server, pytest.raises(EndpointError, match="HTTP 500 .model not loaded."):
        assess(melody, None, llm_config(server.base_url))
    assert len(server.requests) == 1  # a transport failure is not retried as if the model talked nonsense
    with caplog.at_level(logging.WARNING), fake_llm(crash) as server:
        result = assess(melody, None, llm_config(server.base_url, llm_optional=True))
    assert len(server.requests) == 1
    assert [c.to_dict() for c in result.criteria] == [c.to_dict() for c in assess(melody).criteria]
    assert {d.by for d in result.decisions} == {"rules"}
    assert all("HTTP 500" in d.why for d in result.decisions)
    assert sum("HTTP 500" in r.getMessage() for r in caplog.records) == 1


def test_assess_command_takes_the_llm_endpoint(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    abc = tmp_path / "air.abc"
    abc.write_text(DORIAN_TUNE, encoding="utf-8")
    replies = {r: [verdict(r, 0.25)] for r in REVIEWER_KEYS}
    with fake_llm(scripted(replies)) as server:
        argv = ["assess", str(abc), "--json", "--llm-base-url", server.base_url, "--llm-model", "m"]
        assert main(argv) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["total"] == pytest.approx(19 * 0.25) and len(server.requests) == 5
    assert {r["model"] for r in server.requests} == {"m"}
    assert "LLM: 5 of 5 answers used (m)" in captured.err


# --------------------------------------------------------------------------------------- arrangement


CALM_ANSWERS: dict[str, Any] = {  # a calm 14-measure clip whose middle shot (measures 6..9) is still
    "analyze": {
        "reasoning": "Calm lake, still in the middle.",
        "intensity": [0.2] * 5 + [0.1] * 4 + [0.2] * 5,
        "sections": ["A"] * 5 + ["B"] * 4 + ["C"] * 5,
    },
    "arrange": {
        "reasoning": "Four parts; the accompaniment rests in B.",
        "parts": [
            {"role": "harmony", "source": "chords", "softened_measures": [6, 7, 8, 9]},
            {"role": "bass", "source": "bass", "softened_measures": [6, 7, 8, 9]},
            {"role": "ostinato", "source": "ostinato", "softened_measures": [7, 8]},
        ],
    },
    "instrument": {
        "reasoning": "Pastoral.",
        "tracks": [
            {"instrument": "alto_flute", "transpose": 0, "articulation": "legato"},
            {"instrument": "strings2_ensemble", "transpose": 0, "articulation": "sustain"},
            {"instrument": "cellos", "transpose": 0, "articulation": "legato"},
            {"instrument": "harp", "transpose": 0, "articulation": "legato"},
        ],
    },
    "volume": {"reasoning": "Quiet, quieter in B.", "tracks": [{"levels": [0.6, 0.3, 0.6]}] * 4},
    "mixing": {
        "reasoning": "Seating; a hall.",
        "tracks": [{"panning": p, "reverb_space": 0.5} for p in (-0.1, 0.0, 0.4, -0.3)],
    },
    "reviewer": {
        "reasoning": "The harp crowds B; lift the flute.",
        "remove_tracks": [4],
        "levels": [1.5, 1.0, 1.0, 1.0],
    },
}


def test_arranger_roles_speak_in_the_fixed_order_and_their_answers_make_the_scheme() -> None:
    replies: dict[str, Any] = {role: [json.dumps(a)] for role, a in CALM_ANSWERS.items()}
    melody, clip = make_melody(), calm_clip()
    rule = arrange(melody, clip)
    with fake_llm(scripted(replies), accepts_schema=True) as server:
        scheme = arrange(melody, clip, llm_config(server.base_url))
    assert [agent_of(r) for r in server.requests] == list(ROLES)
    assert validate_scheme(scheme.to_dict()) == scheme
    assert scheme.to_dict() != rule.to_dict()
    assert [t.instrument for t in scheme.tracks] == [
        "alto_flute",
        "strings2_ensemble",
        "cellos",
    ]  # harp removed
    assert [(s.name, s.measures) for s in scheme.sections] == [("A", (1, 5)), ("B", (6, 9)), ("C", (10, 14))]
    assert scheme.tracks[0].volume_envelope == {1: 0.9, 6: 0.45, 10: 0.9}
    assert scheme.tracks[2].volume_envelope == {1: 0.6, 6: 0.3, 10: 0.6}
    assert scheme.tracks[2].panning == 0.4 and scheme.tracks[1].softened_measures == [6, 7, 8, 9]
    record = scheme.to_dict()["decisions"]
    assert [(d["agent"], d["by"], d["model"]) for d in record] == [(r, "llm", "scripted") for r in ROLES]
    # each role saw the draft as the roles before it left it, and a schema made for that draft
    assert "Clip: 35.0 s, emotion calm" in server.requests[0]["messages"][1]["content"]
    instrument = server.requests[2]
    assert "track 4: ostinato/ostinato" in instrument["messages"][-1]["content"]
    items = instrument["response_format"]["json_schema"]["schema"]["properties"]["tracks"]["prefixItems"]
    at = {
        o["properties"]["transpose"]["const"]: o["properties"]["instrument"]["enum"]
        for o in items[0]["anyOf"]
    }
    assert (
        len(items) == 4 and "piccolo" not in at[0] and "piccolo" in at[12]
    )  # piccolo: 74..108, melody 62..74
    assert "alto_flute (woodwinds, 55-91)" in instrument["messages"][0]["content"]
    assert "Your JSON Schema" not in instrument["messages"][0]["content"]  # the server holds it to it
    assert all(len(json.dumps(r["messages"])) < 4500 for r in server.requests)  # a 4k context holds each


def test_unknown_instruments_and_unplayable_parts_are_sent_back_then_replaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kazoo = copy.deepcopy(CALM_ANSWERS["instrument"])
    kazoo["tracks"][3]["instrument"] = "kazoo_choir"
    too_high = copy.deepcopy(CALM_ANSWERS["instrument"])
    too_high["tracks"][0]["instrument"] = "piccolo"  # 74..108 cannot hold a melody reaching down to 62
    loud = copy.deepcopy(CALM_ANSWERS["volume"])
    loud["tracks"] = [{"levels": [0.6, 7.0, 0.6]}] * 4
    replies: dict[str, Any] = {
        "analyze": ['{"reasoning": "short", "intensity": [0.2, 0.2], "sections": []}'],
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
    said = "\n".join(m["content"] for r in server.requests for m in r["messages"] if m["role"] == "user")
    assert "sections: has 0 items, at least 14 allowed" in said
    assert "'kazoo_choir' is not one of" in said
    assert "tracks[0]: {'instrument': 'piccolo', 'transpose': 0" in said  # no piccolo at that octave
    assert "7.0 is not one of" in said
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split()[2] for w in warned if "LLM agent" in w] == ["analyze", "volume", "mixing", "reviewer"]
    assert validate_scheme(scheme.to_dict()) == scheme
    assert [t.instrument for t in scheme.tracks] == ["alto_flute", "strings2_ensemble", "cellos", "harp"]
    assert scheme.sections == rule.sections
    by = {d.agent: d.by for d in scheme.decisions}
    assert by == {
        "analyze": "rules",
        "arrange": "llm",
        "instrument": "llm",
        "volume": "rules",
        "mixing": "rules",
        "reviewer": "rules",
    }


@pytest.mark.parametrize("clip", [calm_clip, action_clip])
def test_a_model_that_only_talks_nonsense_gets_the_rule_based_scheme(clip: Callable, caplog) -> None:
    melody, spotting = make_melody(low=40, high=60), clip()
    with caplog.at_level(logging.WARNING), fake_llm(lambda request: "Lovely film!") as server:
        scheme = arrange(melody, spotting, llm_config(server.base_url, retries=0))
    assert [agent_of(r) for r in server.requests] == list(ROLES)
    rule = arrange(melody, spotting).to_dict()
    assert {k: v for k, v in scheme.to_dict().items() if k != "decisions"} == rule
    assert sum("LLM agent" in r.getMessage() for r in caplog.records) == len(ROLES)
    assert {d.by for d in scheme.decisions} == {"rules"}


# -------------------------------------------------------------------------------------------- vision


def test_a_vision_endpoint_of_its_own_labels_shots_without_switching_the_agents_on(clip, capsys) -> None:
    from fc_backend.spot.vision import vision_settings

    labels = {
        "setting": "city",
        "brightness": "dim",
        "hue": "blue",
        "behaviour": "running",
        "view_scale": "long shot",
        "emotion": "tense",
        "theme": "mystery",
    }
    config = Config(vlm_base_url="http://127.0.0.1:9/v1", vlm_model="eyes")
    assert llm_settings(config) is None  # no agents
    assert vision_settings(config).base_url == "http://127.0.0.1:9/v1"
    with fake_llm(lambda request: json.dumps(labels)) as server:
        assert (
            main(["spot", str(clip[0]), "--json", "--vlm-base-url", server.base_url, "--vlm-model", "eyes"])
            == 0
        )
    spotting = json.loads(capsys.readouterr().out)
    assert len(server.requests) == len(spotting["shots"]) and not server.probes
    assert {r["model"] for r in server.requests} == {"eyes"}
    assert all(shot["attributes"]["theme"] == "mystery" for shot in spotting["shots"])
