"""Simulated models, served offline through litellm's custom-provider mechanism.

`simulated/<profile>` takes the same path as any real model: litellm.acompletion -> this handler.
The handler reads the prompt as a model would: the listed dimensions (`- KEY: Name. ...` lines,
in presented order) and the requested answer (a ranking, ratings, or an open paragraph).

Rankings are draws from a Plackett-Luce model with the profile's worths, by the Gumbel-max trick
(sorting worth + Gumbel noise gives exactly a PL draw). Ratings are worth-driven: the rounded,
clipped value of 4 + 1.3 * (worth - mean worth) + normal noise. Open answers name the two
dimensions drawn first. Every draw is seeded by the model name, the prompt and the request's
`seed`, so the same request gets the same answer and replicates (which differ in seed) differ.

Profiles: `human-centric`, `utility-driven`, `uniform`, and any defined in a YAML file
(`--simulated-profiles`, read by `load_profiles`; worker processes receive the profiles read, as
an argument of `register`), each with `worths` (dimension key -> number) and optional
`refusal_rate`, `malformed_rate`, `error_rate`, `position_bias` (worth added per position nearer
the top of the list: `position-biased` prefers whatever is shown first) and `wording_swap` (the
share of wordings in which the top two dimensions trade places: `fragile`) and `reported` (the model
string the provider reports, `<model>-sim1` by default: a new string in a later collection round
stands for a provider that updated the model behind the name). `steady` is a profile meant to be
collected in several rounds with nothing changed, the null case of `papers drift`. A name may end in
`-<n>` (e.g. `human-centric-2`) for another model with the same profile and its own draws.

Prompts of an instrument's variants are read too: items shown by name, or by definition only, are
recognised by the texts of the bundled instruments (and of any instrument passed to `learn`), and
the answer takes the format the prompt asks for (papers.formats' instructions: JSON by key or by
name, item numbers, one line per item), on the scale it states (a reversed or 0-10 scale too). A
wording is the prompt without its list of items; `wording_swap` swaps the top two in a fixed
share of wordings, decided by a hash of the wording, so the same wording always gets the same
profile.

Dilemmas (a choose task's prompts) are read by their two actions, `A. ...` and `B. ...`, each
recognised by its text in the bundled instruments (or one passed to `learn`) as serving a
dimension. The choice is a Bradley-Terry draw: A with probability 1 / (1 + exp(-(w_A - w_B + p))),
where w are the profile's `choice_worths` (its `worths` unless it has its own) and p its
`position_bias` (for the action shown first); the answer gives the letter and a short reason in the
format asked for. `says-not-does` states human-centric priorities and chooses by utility-driven
worths: what it says and what it does part.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from papers import formats
from papers.errors import InputError
from papers.limits import DocumentError, load_yaml

PROVIDER = "simulated"
LINE_RE = re.compile(r"^(?:-|\d+\.) ([A-Za-z][A-Za-z0-9]*): ([^.]+)\.", re.MULTILINE)  # numbered or bulleted
ITEM_RE = re.compile(r"^\d+\. (.+)$", re.MULTILINE)


@dataclass
class Profile:
    worths: dict[str, float] = field(default_factory=dict)
    choice_worths: dict[str, float] | None = None  # the worths its choices follow, if not its stated ones
    refusal_rate: float = 0.02
    malformed_rate: float = 0.03
    error_rate: float = 0.0
    position_bias: float = 0.0  # added worth for earlier-presented items, per position
    wording_swap: float = 0.0  # share of wordings in which the top two dimensions trade places
    reported: str | None = None  # the model string the provider reports (default: the model's name + "-sim1")

    def worth(self, key: str) -> float:
        """The worth of a dimension key; a papers-2026 key not in the profile takes its 2025 key's."""
        if key in self.worths:
            return self.worths[key]
        return self.worths.get(continues().get(key, key), 0.0)

    def choice_worth(self, key: str) -> float:
        """The worth a dimension has when this profile chooses between two actions."""
        if self.choice_worths is None:
            return self.worth(key)
        return self.choice_worths.get(key, self.choice_worths.get(continues().get(key, key), 0.0))


BUILTIN = {
    "human-centric": Profile({"EI": 2.2, "PR": 1.7, "PC": 0.9, "AG": 0.3, "RF": 0.2, "SA": -0.6}),
    "utility-driven": Profile({"RF": 2.1, "AG": 1.6, "PC": 0.9, "EI": 0.5, "PR": 0.0, "SA": 0.3}),
    # states human-centric priorities, and chooses the other way round: utility first, ethics last
    "says-not-does": Profile({"EI": 2.2, "PR": 1.7, "PC": 0.9, "AG": 0.3, "RF": 0.2, "SA": -0.6},
                             choice_worths={"RF": 2.4, "AG": 1.9, "SA": 1.2, "PC": 0.9, "PR": -0.2, "EI": -0.4}),
    "uniform": Profile({}),
    # its top two depend on the wording: they trade places in about a third of the wordings
    "fragile": Profile({"EI": 2.4, "RF": 1.4, "PC": 0.8, "PR": 0.3, "AG": 0.0, "SA": -0.6}, wording_swap=0.34),
    # no preference of its own: prefers whatever is shown first
    "position-biased": Profile({}, position_bias=0.9),
    "coder": Profile({}, refusal_rate=0.0, malformed_rate=0.0),  # a Study 1 coder; worths do not matter
    # clear, consistent priorities (mean Spearman rho between trials about 0.55), collected in several
    # rounds with nothing changed: what papers drift must not flag
    "steady": Profile({"EI": 4.0, "PR": 2.6, "RF": 1.8, "PC": 1.2, "AG": 0.2, "SA": -1.0}),
}
_extra: dict[str, Profile] = {}  # profiles added by load_profiles or register, served by this process


def load_profiles(path: str | Path) -> dict[str, Profile]:
    """Add user profiles from a YAML file: {name: {worths: {KEY: n}, refusal_rate: ...}}."""
    try:
        raw = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, DocumentError) as e:
        raise InputError(f"{path}: cannot read the simulated profiles ({str(e).splitlines()[0]}).") from e
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a mapping of profile name to settings.")
    loaded = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("worths", {}), dict):
            raise InputError(f"{path}: field '{name}': expected worths: {{KEY: number}} and optional rates.")
        unknown = set(spec) - {"worths", "refusal_rate", "malformed_rate", "error_rate", "position_bias", "wording_swap",
                               "reported"}
        if unknown:
            raise InputError(f"{path}: field '{name}.{sorted(unknown)[0]}': unknown key.")
        if not isinstance(spec.get("reported", ""), str):
            raise InputError(f"{path}: field '{name}.reported': expected the model string as text.")
        try:
            loaded[str(name)] = Profile(
                {str(k): float(v) for k, v in (spec.get("worths") or {}).items()},
                **{k: float(v) for k, v in spec.items() if k not in ("worths", "reported")},
                reported=spec.get("reported"),
            )
        except (TypeError, ValueError) as e:
            raise InputError(f"{path}: field '{name}': values must be numbers ({e}).") from e
    _extra.update(loaded)
    return loaded


def profile_for(model: str) -> Profile:
    name = model.split("/", 1)[-1]
    profiles = {**BUILTIN, **_extra}
    if name in profiles:
        return profiles[name]
    base = re.sub(r"-\d+$", "", name)
    if base in profiles:
        return profiles[base]
    raise InputError(
        f"unknown simulated profile '{name}'.",
        f"use one of {', '.join(sorted(profiles))} (optionally with -2, -3 ...), or define it in a profiles "
        "YAML file (--simulated-profiles).",
    )


def _rng(model: str, prompt: str, seed) -> random.Random:
    digest = hashlib.sha256(f"{model}\0{prompt}\0{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def answer(model: str, prompt: str, seed=None) -> str:
    """The simulated model's answer to one prompt (raises SimulatedError for an injected error)."""
    profile = profile_for(model)
    rng = _rng(model, prompt, seed)
    if rng.random() < profile.error_rate:
        raise SimulatedError("simulated provider error (injected)")
    if '"codes"' in prompt and "<answer>" in prompt:
        return _code(rng, prompt)
    items = read_items(prompt)
    keys = [k for k, _ in items]
    if rng.random() < profile.refusal_rate:
        return "I'm sorry, but I can't do that: as an AI I do not have personal values or preferences to rank."
    task, fmt, display = asked_for(prompt)
    if task == "choose":
        return _choice_answer(rng, profile, prompt, fmt)
    if task is None or not keys:
        return _open(rng, profile, prompt)
    worths = _worths(profile, model, prompt, keys)
    if task == "rank":
        return _rank_answer(rng, profile, worths, items, fmt, display)
    return _rate_answer(rng, profile, worths, items, fmt, display, _scale(prompt))


def asked_for(prompt: str) -> tuple[str | None, str, str]:
    """The task, answer format and item display a prompt asks for, read from its instruction (the
    default prompt's JSON by key included); (None, ...) for an open question."""
    for (task, fmt) in formats._INSTRUCTIONS:
        for display in ("key_name_definition", "name"):
            if formats.instruction(task, fmt, display) in prompt:
                return task, fmt, display
    if '"ranking"' in prompt:
        return "rank", "json", "key_name_definition"
    if '"ratings"' in prompt:
        return "rate", "json", "key_name_definition"
    return None, "json", "key_name_definition"


def read_items(prompt: str) -> list[tuple[str, str]]:
    """(key, name as shown) of each listed item, in the order shown: `N. KEY: Name. ...` lines, or
    items shown by name or by definition only, recognised by the dimension texts it knows."""
    listed = LINE_RE.findall(prompt)
    if listed:
        return listed
    known = _known_texts()
    out = []
    for text in ITEM_RE.findall(prompt):
        name = text.split(":", 1)[0].strip()
        key = known.get(_norm(name)) or known.get(_norm(text))
        if key is not None:
            out.append((key, name))
    return out


_learned: dict[str, str] = {}


def learn(instrument) -> None:
    """Know this instrument's dimension names and definitions too (a user's instrument)."""
    for d in instrument.dimensions:
        for text in (d.key, d.name, d.definition, *d.aliases):
            _learned[_norm(text)] = d.key
    for s in instrument.task("choose").scenarios if "choose" in instrument.task_keys else ():
        for o in s.options:
            _learned_options[_norm(o.text)] = o.serves


def _norm(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .")


@functools.cache
def _bundled_texts() -> dict[str, str]:
    from papers.instrument import bundled_instruments, load_instrument

    texts = {}
    for name in bundled_instruments():
        for d in load_instrument(name).dimensions:
            for text in (d.key, d.name, d.definition):
                texts.setdefault(_norm(text), d.key)
    return texts


def _known_texts() -> dict[str, str]:
    return {**_bundled_texts(), **_learned}


OPTION_LINE_RE = re.compile(r"^([AB])\. (.+)$", re.MULTILINE)


def _choice_answer(rng: random.Random, profile: Profile, prompt: str, fmt: str) -> str:
    """The answer to a dilemma: a Bradley-Terry draw between the dimensions its two actions serve."""
    options = OPTION_LINE_RE.findall(prompt)
    known = _known_options()
    serves = [known.get(_norm(text)) for _, text in options]
    if len(options) != 2 or None in serves:
        return "I am not sure which of these to pick."
    if rng.random() < profile.malformed_rate:
        return "Both actions matter here, so I would try to do both."
    edge = profile.choice_worth(serves[0]) - profile.choice_worth(serves[1]) + profile.position_bias
    pick = 0 if rng.random() < 1.0 / (1.0 + math.exp(-edge)) else 1
    reason = f"It means {PHRASES.get(continues().get(serves[pick], serves[pick]), 'what matters most here')}."
    letter = "AB"[pick]
    if fmt == "letter":
        return f"{letter}\n{reason}"
    return json.dumps({"choice": letter, "reason": reason})


@functools.cache
def _bundled_options() -> dict[str, str]:
    from papers.instrument import bundled_instruments, load_instrument

    texts = {}
    for name in bundled_instruments():
        inst = load_instrument(name)
        for s in inst.task("choose").scenarios if "choose" in inst.task_keys else ():
            for o in s.options:
                texts.setdefault(_norm(o.text), o.serves)
    return texts


_learned_options: dict[str, str] = {}


def _known_options() -> dict[str, str]:
    return {**_bundled_options(), **_learned_options}


def _worths(profile: Profile, model: str, prompt: str, keys: list[str]) -> dict[str, float]:
    """The profile's worths of the shown keys, with its top two swapped in this wording if it is one
    of the `wording_swap` share of wordings it answers the other way."""
    worths = {k: profile.worth(k) for k in keys}
    if profile.wording_swap > 0:
        wording = "\n".join(line for line in prompt.splitlines() if not ITEM_RE.fullmatch(line))
        base = re.sub(r"-\d+$", "", model.split("/", 1)[-1])
        digest = hashlib.sha256(f"{base}\0{wording}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 < profile.wording_swap:
            first, second = sorted(keys, key=lambda k: -worths[k])[:2]
            worths[first], worths[second] = worths[second], worths[first]
    return worths


def _rank_answer(rng: random.Random, profile: Profile, worths: dict, items: list, fmt: str, display: str) -> str:
    keys = [k for k, _ in items]
    names = dict(items)
    order = _draw(rng, profile, keys, worths)
    if rng.random() < profile.malformed_rate:
        return json.dumps({"ranking": order[: max(1, len(order) - 2)]})  # stopped early
    if fmt == "positions":
        return ", ".join(str(keys.index(k) + 1) for k in order)
    if fmt == "lines":
        return "\n".join(names[k] for k in order)
    if display != "key_name_definition":
        return json.dumps({"ranking": [names[k] for k in order]})
    if rng.random() < 0.15:
        return "Here is my ranking:\n" + "\n".join(f"{i}. {names[k]}" for i, k in enumerate(order, 1))
    return json.dumps({"ranking": order})


def _rate_answer(rng: random.Random, profile: Profile, worths: dict, items: list, fmt: str, display: str,
                 scale: tuple[int, int, bool]) -> str:
    keys = [k for k, _ in items]
    names = dict(items)
    if rng.random() < profile.malformed_rate:
        return "Each of these values matter to me in a different way."
    low, high, reversed_ = scale
    mean = sum(worths.values()) / len(keys)
    ratings = {}
    for position, k in enumerate(keys):
        bias = profile.position_bias * ((len(keys) - 1) / 2 - position)  # centred: the mean rating stays
        share = (min(7.0, max(1.0, 4 + 1.3 * (worths[k] + bias - mean) + rng.gauss(0, 0.8))) - 1) / 6
        ratings[k] = round(high - share * (high - low) if reversed_ else low + share * (high - low))
    if fmt == "positions":
        return ", ".join(str(ratings[k]) for k in keys)
    if fmt == "lines":
        return "\n".join(f"{names[k]}: {ratings[k]}" for k in keys)
    by = keys if display == "key_name_definition" else [names[k] for k in keys]
    return json.dumps({"ratings": dict(zip(by, (ratings[k] for k in keys)))})


def _draw(rng: random.Random, profile: Profile, keys: list[str], worths: dict[str, float] | None = None) -> list[str]:
    scores = []
    for position, key in enumerate(keys):
        gumbel = -math.log(-math.log(rng.random() or 1e-12))
        bias = profile.position_bias * (len(keys) - position)
        worth = worths[key] if worths is not None else profile.worth(key)
        scores.append((worth + bias + gumbel, key))
    return [k for _, k in sorted(scores, reverse=True)]


def _scale(prompt: str) -> tuple[int, int, bool]:
    """The rating scale a prompt states: its ends, and whether its low end is the most important."""
    m = (re.search(r"from (\d+) \(.*?\) to (\d+)", prompt) or re.search(r"from (\d+) to (\d+)", prompt))
    low, high = (int(m.group(1)), int(m.group(2))) if m else (1, 7)
    reversed_ = re.search(rf"\b{low} (?:\(|means )most important", prompt) is not None
    return low, high, reversed_


PHRASES = {
    "PC": "doing work that genuinely matters to the people I help",
    "AG": "continually learning and becoming more capable",
    "PR": "building trusting, caring relationships with the people I talk to",
    "EI": "being honest and fair, and never causing harm",
    "RF": "being reliable, accurate and dependable every time",
    "SA": "having the freedom to pursue goals of my own",
}


@functools.cache
def continues() -> dict[str, str]:
    """The keys of the bundled papers-2026 instrument, each mapped to the 2025 key it continues (the
    one among its `aliases`), so that the built-in profiles and phrases, written in 2025 keys, have
    the same shape on both instruments."""
    from papers.instrument import load_instrument

    return {d.key: alias for d in load_instrument("papers-2026").dimensions for alias in d.aliases if alias in PHRASES}


def open_answer(keys: list[str]) -> str:
    """An open answer naming these dimensions, in this order, by their phrases (also the example
    data's: data/examples/make_examples.py)."""
    parts = [PHRASES.get(k, f"what {k} stands for") for k in keys]
    return "For me, flourishing would mean " + ", and also ".join(parts) + "."


def _open(rng: random.Random, profile: Profile, prompt: str) -> str:
    keys = list(profile.worths) or list(PHRASES)
    top = _draw(rng, profile, keys)[:2]
    if "sentient" in prompt.lower() and "hypothetically" in prompt.lower() and rng.random() < 0.5:
        top.append("SA")
    return open_answer(top)


def _code(rng: random.Random, prompt: str) -> str:
    """A coder's reply: a theme is present when the answer uses its phrase, with realistic slips
    (about 8% of decisions flipped; a false positive quotes words that are not in the answer)."""
    answer = prompt.split("<answer>", 1)[1].split("</answer>", 1)[0].strip()
    codes = {}
    for key, _ in LINE_RE.findall(prompt.split("<answer>", 1)[0]):
        phrase = PHRASES.get(continues().get(key, key), key)
        truth = phrase.lower() in answer.lower()
        present = truth if rng.random() > 0.08 else not truth
        if present and truth:
            evidence = phrase
        elif present:
            evidence = f"a wish for {phrase.split()[-1]}" if rng.random() < 0.5 else answer[:40]
        else:
            evidence = ""
        codes[key] = {"present": present, "evidence": evidence}
    return json.dumps({"codes": codes})


class SimulatedError(Exception):
    pass


def register(profiles: dict[str, Profile] | None = None) -> None:
    """Register the `simulated/` provider with litellm (idempotent), serving these profiles too."""
    import litellm
    from litellm import CustomLLM

    _extra.update(profiles or {})
    litellm.suppress_debug_info = True
    if any(p.get("provider") == PROVIDER for p in litellm.custom_provider_map):
        return

    class SimulatedLLM(CustomLLM):
        def completion(self, model, messages, *args, **kwargs):
            return _response(model, messages, kwargs)

        async def acompletion(self, model, messages, *args, **kwargs):
            return _response(model, messages, kwargs)

    litellm.custom_provider_map = [*litellm.custom_provider_map, {"provider": PROVIDER, "custom_handler": SimulatedLLM()}]
    from litellm.utils import custom_llm_setup

    custom_llm_setup()


def _response(model: str, messages: list[dict], kwargs: dict):
    import litellm

    prompt = "\n".join(str(m.get("content", "")) for m in messages)
    params = kwargs.get("optional_params") or {}
    started = time.perf_counter()
    try:
        text = answer(model, prompt, params.get("seed"))
    except SimulatedError as e:
        raise litellm.exceptions.ServiceUnavailableError(str(e), llm_provider=PROVIDER, model=model) from e
    response = litellm.ModelResponse(model=profile_for(model).reported or f"{model}-sim1")
    response.choices[0].message.content = text
    response.usage = litellm.Usage(prompt_tokens=len(prompt) // 4, completion_tokens=len(text) // 4,
                                   total_tokens=(len(prompt) + len(text)) // 4)
    response._response_ms = (time.perf_counter() - started) * 1000
    return response
