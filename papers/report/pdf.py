"""PDFs for archives: every PDF of an audit is PDF/A-3b, made by Pandoc's Typst writer and the
`typst` package (whatever engine made the HTML), with its metadata and its evidence attached.

Metadata: Title, Author (the publisher, else "papers"), Subject, Keywords and the audit's date (also
the PDF's creation date, so a PDF rebuilt later is byte-identical; a brief's PDF carries it too).
Attachments (PDF/A-3 "associated files", listed by `pdfdetach -list`): manifest-draft.json, the
audit's manifest as it stood before the PDFs were made (not the published manifest.json, which also
lists the PDFs), and the rows behind the page as CSV. Both reach reports/template.typ as one JSON value in `sys.inputs`,
so no value is ever spliced into Typst source.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from papers.errors import PapersError

STANDARD = "a-3b"
# poppler (pdfinfo, pdftotext, at least to 25.x) prints "Suspects object is wrong type (boolean)" for
# the /Suspects false that Typst writes in a tagged PDF's /MarkInfo; false is that entry's default,
# so it is blanked with spaces of the same length (offsets and the cross-reference table unchanged)
_MARK_INFO = b"/MarkInfo<</Marked true/Suspects false>>"
_MARK_INFO_QUIET = b"/MarkInfo<</Marked true" + b" " * len(b"/Suspects false") + b">>"


@dataclass(frozen=True)
class Attachment:
    name: str  # the file name inside the PDF
    path: str  # where Typst reads it: a path from the audit folder's root, starting with /
    mime: str
    description: str


@dataclass(frozen=True)
class PdfJob:
    """One PDF to compile from a .typ file that Pandoc wrote."""

    typ: Path
    pdf: Path
    title: str
    subject: str
    author: str  # the publisher; empty: no Author
    keywords: list[str]
    date: datetime | None  # None: the build's own time (only for PDFs that are not an audit's)
    attachments: list[Attachment] = field(default_factory=list)

    def inputs(self) -> str:
        """The JSON value reports/template.typ reads as sys.inputs.papers."""
        d = self.date
        values = {"title": self.title, "author": [self.author] if self.author else [], "subject": self.subject,
                  "keywords": self.keywords, "attachments": [asdict(a) for a in self.attachments]}
        if d is not None:
            values["date"] = {"year": d.year, "month": d.month, "day": d.day, "hour": d.hour, "minute": d.minute,
                              "second": d.second}
        return json.dumps(values, sort_keys=True)


def compile_pdf(job: PdfJob, root: Path) -> Path:
    """Compile the .typ into a PDF/A-3b file (root: the folder Typst may read from)."""
    try:
        stamp = {"timestamp": int(job.date.timestamp())} if job.date is not None else {}
        compiler().compile(input=str(job.typ), output=str(job.pdf), root=str(root), pdf_standards=STANDARD,
                           sys_inputs={"papers": job.inputs()}, **stamp)
    except (RuntimeError, OSError, ValueError) as e:
        message = str(e).strip().splitlines() or ["unknown error"]
        raise PapersError(f"{job.pdf.name}: Typst could not make the PDF ({message[0][:300]}).") from e
    quiet_for_poppler(job.pdf)
    return job.pdf


_COMPILERS: list = []


def compiler():
    """This process's Typst compiler, made once: typst.compile loads every font again on each call
    (tens of milliseconds a PDF), a compiler keeps them; each compile names its own input and root."""
    if not _COMPILERS:
        import typst

        _COMPILERS.append(typst.Compiler())
    return _COMPILERS[0]


def quiet_for_poppler(pdf: Path) -> None:
    data = pdf.read_bytes()
    if data.count(_MARK_INFO) == 1:
        pdf.write_bytes(data.replace(_MARK_INFO, _MARK_INFO_QUIET))
