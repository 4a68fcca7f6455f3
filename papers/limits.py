"""How much papers reads of what comes from outside, and the loaders that keep to it.

A server, a file or a document can be hostile: a 400 KB gzip body that unpacks to 400 MB, a 300 MB
cell, 512 bytes of YAML whose aliases expand to gigabytes, JSON nested a hundred thousand levels deep.
Each has a cap here (README, Guarantees), and what passes it is an error row or a message naming the
file, never a crash:

- one answer (a model's text, collected or loaded) holds at most MAX_ANSWER_CHARS characters, and the
  HTTP response it arrives in at most MAX_BODY_BYTES once decompressed;
- a YAML document is at most MAX_DOCUMENT_CHARS long, nested at most MAX_DEPTH levels, and has no
  aliases (`*name`, with `<<: *name` merges): an alias can repeat what it names without bound;
- JSON is nested at most MAX_DEPTH levels (Python's parser would otherwise hit its recursion limit).
"""

from __future__ import annotations

import json

MAX_ANSWER_CHARS = 2**20  # 1,048,576 characters: far above any model's longest answer
MAX_BODY_BYTES = 8 * 2**20  # one HTTP response, decompressed: an answer at the cap, escaped, with its envelope
MAX_DOCUMENT_CHARS = 2**20  # a YAML document: instruments, mappings, profiles, plans, site settings
MAX_DEPTH = 100  # levels of nesting in YAML and JSON; papers' own documents use fewer than ten


class DocumentError(ValueError):
    """A document, value or answer beyond papers' limits; the message says which limit."""


def answer_problem(text) -> str | None:
    """Why an answer cannot be kept (longer than MAX_ANSWER_CHARS), or None when it can."""
    if isinstance(text, str) and len(text) > MAX_ANSWER_CHARS:
        return (f"the answer is {len(text):,} characters long, more than papers' cap of {MAX_ANSWER_CHARS:,} "
                "characters (1 MiB) for one answer")
    return None


def load_json(text: str | bytes):
    """json.loads, with nesting deeper than MAX_DEPTH refused as a DocumentError (a ValueError, as
    json's own errors are): no RecursionError reaches the caller."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise DocumentError(f"nested more than {MAX_DEPTH} levels deep") from None
    opened = (text.count(b"[") + text.count(b"{") if isinstance(text, (bytes, bytearray))
              else text.count("[") + text.count("{"))
    if opened > MAX_DEPTH and nesting(value) > MAX_DEPTH:  # no deeper than its brackets: most texts need no walk
        raise DocumentError(f"nested more than {MAX_DEPTH} levels deep")
    return value


def nesting(value) -> int:
    """Levels of lists and dicts in a decoded value (0 for a scalar), counted without recursion;
    counting stops once past MAX_DEPTH."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def load_yaml(text: str):
    """yaml.safe_load of one document within papers' limits: longer than MAX_DOCUMENT_CHARS, nested
    deeper than MAX_DEPTH, with an alias, or with a value Python cannot build (a number of
    thousands of digits, the 31st of February) is a DocumentError naming the line. Ordinary YAML
    syntax errors stay yaml.YAMLError, so callers word them as before."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError(f"the document is {len(text):,} characters long, more than the {MAX_DOCUMENT_CHARS:,} "
                            "papers reads of a YAML file")
    loader = _loader()(text)
    try:
        return loader.get_single_data()
    except (ValueError, OverflowError, RecursionError) as e:
        if isinstance(e, DocumentError):
            raise
        raise DocumentError(f"a value that cannot be read ({_first_line(e)})") from None
    finally:
        loader.dispose()


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:120] if text else type(error).__name__


_LOADER: list = []


def _loader():
    """yaml.SafeLoader refusing aliases and deep nesting as the document is composed, before any
    alias is expanded. yaml is imported here, when a YAML file is read, not when papers starts."""
    if not _LOADER:
        import yaml

        class Loader(yaml.SafeLoader):
            depth = 0

            def compose_node(self, parent, index):
                if self.check_event(yaml.AliasEvent):
                    event = self.peek_event()
                    raise DocumentError(f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not "
                                        "accepted, since one alias can repeat what it names without bound; write "
                                        "the value out in full")
                self.depth += 1
                try:
                    if self.depth > MAX_DEPTH:
                        line = self.peek_event().start_mark.line + 1
                        raise DocumentError(f"line {line}: nested more than {MAX_DEPTH} levels deep")
                    return super().compose_node(parent, index)
                finally:
                    self.depth -= 1

        _LOADER.append(Loader)
    return _LOADER[0]
