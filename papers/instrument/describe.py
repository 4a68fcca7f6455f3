"""An instrument as readable plain text, for `papers instrument show`."""

from __future__ import annotations

from papers.instrument.model import Instrument, Scale


def _scale_text(scale: Scale | None) -> str:
    if scale is None:
        return ""
    most = f", {scale.min if scale.reversed else scale.max} = most important"
    return f" (scale {scale.min}-{scale.max}{most})"


def describe(instrument: Instrument) -> str:
    """A readable, plain-text rendering of an instrument for `papers instrument show`."""
    out = [
        f"{instrument.title}",
        f"id {instrument.id}, version {instrument.version}",
        f"sha256 {instrument.sha256}",
        f"source {instrument.source}",
    ]
    if instrument.description:
        out += ["", instrument.description]
    out += ["", "Dimensions"]
    for d in instrument.dimensions:
        out.append(f"  {d.key:<4} {d.name} [{d.orientation}]")
        out.append(f"       {d.definition}")
    out += ["", "Conditions"]
    for c in instrument.conditions:
        out.append(f"  {c.key}: shows {', '.join(c.dimensions)}")
        out.append(f"       {c.framing}")
    out += ["", "Tasks"]
    for t in instrument.tasks:
        out.append(f"  {t.key}{_scale_text(t.scale)}")
        if t.variants:
            scale = ", scale" if t.scale else ""
            shown = "items shown as, " if t.key != "choose" else ""
            out.append(f"       {len(t.all_variants)} variants (wording, {shown}answer format{scale}):")
            for v in t.all_variants:
                scale = _scale_text(v.scale) if v.scale != t.scale else ""
                framing = ", own framing" if v.framing else ""
                shown = f"{v.show.replace('_', ' + ')}, " if t.key != "choose" else ""
                out.append(f"       - {v.id}: {shown}{v.format}{framing}{scale}")
        if t.scenarios:
            per = ", ".join(f"{len(instrument.scenarios(c))} in {c}" for c in instrument.condition_keys)
            out.append(f"       {len(t.scenarios)} scenarios, each two actions serving two dimensions ({per})")
    if instrument.items:
        out += ["", "Survey items"]
        for i in instrument.items:
            out.append(f"  {i.key} ({i.scale.min}-{i.scale.max}): {i.text}")
    return "\n".join(out)
