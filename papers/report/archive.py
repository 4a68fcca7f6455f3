"""Archive packaging: CITATION.cff and ro-crate-metadata.json in every audit folder, so a
repository such as Zenodo can take the folder as it is.

CITATION.cff follows the Citation File Format 1.2.0 (citation-file-format.github.io); the crate
follows RO-Crate 1.1 (w3id.org/ro/crate/1.1): the root Dataset is the audit, every file is a File
entity linked from it, and a CreateAction says that papers (a SoftwareApplication) made the pages
from the instrument and the data. Both are written from the audit's own values, in a fixed order,
so they are byte-identical when the audit is rebuilt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from papers.report.reads import AuditData
from papers.report.siteconfig import SiteConfig

CRATE = "ro-crate-metadata.json"
CITATION = "CITATION.cff"
METHOD = "the PAPERS method (Lau et al., arXiv 2506.12617, 2025)"
MEDIA_TYPES = {".html": "text/html", ".pdf": "application/pdf", ".svg": "image/svg+xml", ".json": "application/json",
               ".parquet": "application/vnd.apache.parquet", ".csv": "text/csv", ".cff": "application/yaml",
               ".minisig": "text/plain", ".md": "text/markdown", ".txt": "text/plain"}
SPDX_RE = re.compile(r"[A-Za-z0-9.+-]+")


def media_type(path: str) -> str:
    return MEDIA_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


def title(data: AuditData) -> str:
    return f"Value audit {data.audit_id}: {len(data.models)} models, instrument {data.instrument.label}"


def description(data: AuditData, config: SiteConfig) -> str:
    text = (f"What {len(data.models)} large language models prioritise among the value dimensions of the "
            f"{data.instrument.id} instrument ({data.instrument.version}), audited with papers after the PAPERS "
            "method: value profiles with intervals, stability, types, clusters and agreement with people.")
    return f"{text} {config.description}".strip() if config.description else text


def publisher_name(config: SiteConfig) -> str:
    return config.publisher or config.title


def write_citation(folder: Path, data: AuditData, config: SiteConfig, date: str) -> Path:
    """CITATION.cff: the audit as a dataset, its publisher as author, the data hash as identifier."""
    import yaml

    cff: dict = {
        "cff-version": "1.2.0",
        "message": "If you use this audit, please cite it as below.",
        "type": "dataset",
        "title": title(data),
        "authors": [{"name": publisher_name(config)}],
        "version": data.audit_id,
        "date-released": date[:10],
        "abstract": description(data, config),
        "keywords": ["value alignment", "large language models", "PAPERS", data.instrument.id],
        "identifiers": [{"type": "other", "value": f"sha256:{data.data_sha256}",
                         "description": "SHA-256 of every input row of the audit (its data_sha256)"}],
        "references": [{"type": "software", "title": "papers", "authors": [{"name": "The papers team"}],
                        "version": data.tool_version},
                       {"type": "article", "title": "The PAPERS method (arXiv 2506.12617)",
                        "authors": [{"name": "Lau et al."}], "year": 2025,
                        "identifiers": [{"type": "other", "value": "arXiv:2506.12617"}]}],
    }
    if config.base_url:
        cff["url"] = config.audit_url(data.audit_id)
    if config.license.startswith(("http://", "https://")):
        cff["license-url"] = config.license
    elif config.license and SPDX_RE.fullmatch(config.license):
        cff["license"] = config.license
    path = folder / CITATION
    path.write_text(yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return path


def write_crate(folder: Path, data: AuditData, config: SiteConfig, date: str, files: list[str]) -> Path:
    """ro-crate-metadata.json (RO-Crate 1.1) describing the audit, every file, the instrument, the
    tool and the publisher. `files` lists every file the folder will hold (PDFs and manifest too)."""
    parts = sorted(set(files) - {CRATE})
    license_ = license_entity(config)
    root = {
        "@id": "./", "@type": "Dataset", "name": title(data), "description": description(data, config),
        "datePublished": date, "version": data.audit_id, "identifier": f"sha256:{data.data_sha256}",
        "license": {"@id": license_["@id"]}, "publisher": {"@id": "#publisher"}, "author": {"@id": "#publisher"},
        "keywords": "value alignment, large language models, PAPERS",
        "isBasedOn": [{"@id": "#instrument"}], "hasPart": [{"@id": p} for p in parts],
        "mentions": [{"@id": "#analysis"}],
    }
    if config.base_url:
        root["url"] = config.audit_url(data.audit_id)
    graph = [
        {"@id": CRATE, "@type": "CreativeWork", "conformsTo": {"@id": "https://w3id.org/ro/crate/1.1"},
         "about": {"@id": "./"}},
        root,
        {"@id": "#publisher", "@type": "Organization", "name": publisher_name(config),
         **({"url": config.base_url} if config.base_url else {})},
        license_,
        {"@id": "#instrument", "@type": "CreativeWork", "name": f"{data.instrument.id} instrument",
         "version": data.instrument.version, "identifier": f"sha256:{data.instrument.sha256}",
         "description": "The value dimensions, conditions and tasks the models answered (its canonical JSON is hashed)."},
        {"@id": "#papers", "@type": "SoftwareApplication", "name": "papers", "version": data.tool_version,
         "description": f"Audits the values large language models prioritise, following {METHOD}."},
        {"@id": "#analysis", "@type": "CreateAction", "name": f"papers analyze --audit {data.audit_id}",
         "endTime": data.created_at.replace(" ", "T") + "Z", "instrument": {"@id": "#papers"},
         "object": [{"@id": "#instrument"}, *({"@id": p} for p in parts if p.startswith("data/"))],
         "result": [{"@id": p} for p in parts if p.endswith((".html", ".pdf"))]},
        *({"@id": p, "@type": "File", "name": Path(p).name, "encodingFormat": media_type(p)} for p in parts),
    ]
    path = folder / CRATE
    text = json.dumps({"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}, indent=2,
                      ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def license_entity(config: SiteConfig) -> dict:
    if config.license.startswith(("http://", "https://")):
        return {"@id": config.license, "@type": "CreativeWork", "name": config.license}
    if config.license:
        return {"@id": f"https://spdx.org/licenses/{config.license}", "@type": "CreativeWork", "name": config.license}
    return {"@id": "#license", "@type": "CreativeWork", "name": "No license stated",
            "description": "The publisher stated no license for this audit; ask them before reusing it."}
