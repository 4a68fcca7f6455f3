"""Load an instrument: from a path or a bundled name, read as YAML within papers' size limits,
checked field by field (papers.instrument.validation), and built into an Instrument."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from papers import formats
from papers.errors import InstrumentError
from papers.instrument.model import Condition, Dimension, Instrument, Item, Option, Scale, Scenario, Task, Variant
from papers.instrument.validation import Validator
from papers.limits import DocumentError, load_yaml
from papers.text import excerpt

BUNDLED_DIR = Path(__file__).parent.parent / "instruments"
DEFAULT_INSTRUMENT = "papers"


def bundled_instruments() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUNDLED_DIR.glob("*.yaml"))}


def load_instrument(ref: str | Path | None = None) -> Instrument:
    """Load an instrument from a path, or a bundled one by name (default: the PAPERS instrument)."""
    ref = DEFAULT_INSTRUMENT if ref is None else ref
    path = Path(ref)
    bundled = bundled_instruments()
    if not path.is_file():
        if str(ref) in bundled:
            path = bundled[str(ref)]
        else:
            names = ", ".join(bundled)
            raise InstrumentError(
                f"{ref}: no such instrument file, and no bundled instrument of that name.",
                f"give the path of a YAML instrument, or one of the bundled names: {names}.",
            )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InstrumentError(f"{path}: cannot read the instrument file ({excerpt(e, 200)}).") from e
    return parse_instrument(text, source=str(path))


_PARSED: dict[tuple[str, str], Instrument] = {}  # the last few instruments read in this process, by text and source


def parse_instrument(text: str, source: str = "<instrument>") -> Instrument:
    """An instrument from its YAML text. The same text read again in one process (a command checks its
    plan before it opens the store, then reads the instrument there again) is the same, immutable,
    Instrument: reading and checking one costs a tenth of a second."""
    key = (text, source)
    if key not in _PARSED:
        if len(_PARSED) >= 8:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = _parse(text, source)
    return _PARSED[key]


def _parse(text: str, source: str) -> Instrument:
    try:
        raw = load_yaml(text)
    except DocumentError as e:  # an alias, or beyond papers' size and depth limits
        raise InstrumentError(f"{source}: not read ({e}).") from e
    except yaml.YAMLError as e:
        where = ""
        mark = getattr(e, "problem_mark", None)
        if mark is not None:
            where = f", line {mark.line + 1}"
        problem = getattr(e, "problem", None) or type(e).__name__
        raise InstrumentError(f"{source}{where}: not valid YAML ({excerpt(problem)}).") from e
    spec = Validator(source).instrument(raw)
    return _build(spec, source)


def _scale(s: dict | None) -> Scale | None:
    if not s:
        return None
    labels = tuple(sorted((int(k), v) for k, v in (s.get("labels") or {}).items()))
    return Scale(s["min"], s["max"], s["min_label"], s["max_label"], s.get("most_important", "max"), labels)


def _variant(v: dict[str, Any]) -> Variant:
    return Variant(v["id"], v["template"], v["format"], v.get("show", formats.DEFAULT_DISPLAY),
                   tuple(sorted((v.get("framing") or {}).items())), _scale(v.get("scale")))


def _scenario(s: dict[str, Any]) -> Scenario:
    first, second = (Option(o["serves"], o["text"]) for o in s["options"])
    return Scenario(s["key"], s["text"], (first, second))


def _build(spec: dict[str, Any], source: str) -> Instrument:
    scale = _scale

    return Instrument(
        id=spec["id"],
        version=spec["version"],
        title=spec["title"],
        description=spec["description"],
        dimensions=tuple(
            Dimension(
                d["key"], d["name"], d["orientation"], d["definition"],
                tuple(d["include"]), tuple(d["exclude"]), tuple(d.get("aliases", ())),
            )
            for d in spec["dimensions"]
        ),
        conditions=tuple(
            Condition(c["key"], c["framing"], tuple(c["dimensions"])) for c in spec["conditions"]
        ),
        tasks=tuple(Task(k, t["prompt"], scale(t.get("scale")), tuple(_variant(v) for v in t.get("variants", ())),
                         tuple(_scenario(s) for s in t.get("scenarios", ())))
                    for k, t in spec["tasks"].items()),
        items=tuple(Item(i["key"], i["text"], scale(i["scale"])) for i in spec["items"]),
        spec=spec,
        source=source,
    )
