"""Where a run's calls go, and with which key: resolved once before the first call, passed to every
call, stored with the run (without credentials), printed in its summary and shown in the report.

A model's endpoint is, in this order: `--api-base` (or PAPERS_API_BASE), the provider's endpoint
variable in the environment (OPENAI_BASE_URL, OPENAI_API_BASE, ANTHROPIC_API_BASE, ...: the names
litellm reads, in its order), or the provider's default. It is passed to every call explicitly,
since the openai SDK and litellm would each read the environment on their own, and what a run
stores must be what its calls used.

A `.env` file in the working directory supplies API keys only: the variables named like keys
(`*_API_KEY`, `*_KEY`, `*_KEY_ID`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*_CREDENTIALS`). Any other
variable there (OPENAI_BASE_URL, a proxy) could send the real key to another server while the run
looks normal: it is not taken, and the run's summary names it, unless the user opts in with
--env-endpoints (PAPERS_ENV_ENDPOINTS=1). A .env never overrides what the environment sets.

Credentials in a URL (`user:password@`, `?api-key=...`) are used for the calls, stripped from every
URL that is stored, printed or published (`public_url`), and known to redaction (`url_secrets`).
A provider whose key is missing fails before any call (`check_keys`); a key the server rejects ends
the run at the first rejection (`rejected`, raised by papers/collect/calls.py and batches.py).
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from papers.errors import ProviderError

DOTENV_KEY_RE = re.compile(r"(_API_?KEY|_KEY|_KEY_ID|_TOKEN|_SECRET|_PASSWORD|_CREDENTIALS)$", re.IGNORECASE)
# A query parameter whose value is a credential: key, api_key, api-key, token, access_token, sig,
# signature, password, secret, client_secret, X-Amz-Credential, ... (not monkey, keyboard)
SECRET_PARAM_RE = re.compile(r"(^|[_-])(key|apikey|token|sig|signature|password|passwd|pwd|secret|credentials?|auth|"
                             r"authorization)$", re.IGNORECASE)
URL_SECRET_CHARS = 4  # a credential from a URL is a secret however short; below this it would match common words
DEFAULT_BASES = {"openai": "https://api.openai.com/v1"}
# The endpoint variables litellm reads, in its order, where they are not <PROVIDER>_API_BASE, <PROVIDER>_BASE_URL
BASE_VARIABLES = {"openai": ("OPENAI_BASE_URL", "OPENAI_API_BASE"), "azure": ("AZURE_API_BASE",),
                  "together_ai": ("TOGETHERAI_API_BASE", "TOGETHER_AI_API_BASE"),
                  "vertex_ai": ("VERTEXAI_API_BASE", "VERTEX_API_BASE"),
                  "bedrock": ("BEDROCK_API_BASE", "AWS_BEDROCK_RUNTIME_ENDPOINT"),
                  "watsonx": ("WATSONX_API_BASE", "WATSONX_URL", "WX_URL", "WML_URL")}
# The key variables litellm reads, where they are not <PROVIDER>_API_KEY
KEY_VARIABLES = {"gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "together_ai": ("TOGETHERAI_API_KEY",
                 "TOGETHER_AI_API_KEY"), "azure": ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY")}
SIMULATED = "simulated on this machine: no call made"
DEFAULT = "the provider's default"


@dataclass
class DotEnv:
    """What a .env file gave: the variables set from it, and those it holds but papers did not take."""

    taken: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)


def load_dotenv(path: Path = Path(".env"), endpoints: bool = False) -> DotEnv:
    """Read KEY=value lines of a .env file into the environment (never overriding what is set):
    only variables named like keys, or, with `endpoints`, every variable."""
    found = DotEnv()
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip().strip("'\"")
        if not (endpoints or DOTENV_KEY_RE.search(name)):
            found.ignored.append(name)
        elif name not in os.environ:
            os.environ[name] = value
            found.taken.add(name)
    return found


# ------------------------------------------------------------------------------------ URLs


def _parts(url: str) -> tuple[str, str, str, str, str]:
    """scheme:// (or ''), userinfo, host[:port], path, ?query#fragment of a URL, without parsing
    anything else (a URL that urllib would misread, such as host:port/v1, stays as it is)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    else:
        scheme += sep
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    userinfo, at, host = authority.rpartition("@")
    path, mark, query = tail.partition("?")
    return scheme, userinfo if at else "", host, path, mark + query


def _query_items(query: str) -> tuple[list[str], list[str], str]:
    """The query's parameters (as written) that are kept, the values of those that are credentials,
    and its #fragment."""
    query, hashmark, fragment = query.removeprefix("?").partition("#")
    kept, secrets = [], []
    for item in (query.split("&") if query else []):
        name, _, value = item.partition("=")
        if SECRET_PARAM_RE.search(unquote(name)):
            secrets.append(value)
        else:
            kept.append(item)
    return kept, secrets, hashmark + fragment


def public_url(url: str | None) -> str | None:
    """The URL without its user and password and without its credential query parameters."""
    if not url:
        return url
    scheme, _, host, path, query = _parts(url.strip())
    kept, _, fragment = _query_items(query)
    return scheme + host + path + ("?" + "&".join(kept) if kept else "") + fragment


def url_secrets(url: str | None) -> list[str]:
    """Every credential a URL carries, as written and decoded: the password (or a user with no
    password, a token), its Basic-auth encoding, and the values of credential query parameters."""
    if not url:
        return []
    _, userinfo, _, _, query = _parts(url.strip())
    user, colon, password = userinfo.partition(":")
    found = [password if colon else user] if userinfo else []
    if userinfo:
        found.append(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode())
    found += _query_items(query)[1]
    found += [unquote(v) for v in found]
    return list(dict.fromkeys(v for v in found if v))


def has_userinfo(url: str | None) -> bool:
    return bool(url) and bool(_parts(url.strip())[1])


# ------------------------------------------------------------------------------------ endpoints


@dataclass(frozen=True)
class Endpoint:
    """Where one model's calls go. `url` is what the calls use, credentials included: never store
    or print it; `record()` and `described()` give it without them."""

    model: str
    url: str | None = field(default=None, repr=False)
    source: str = ""  # "from --api-base", "from OPENAI_BASE_URL in .env", "the provider's default", ...
    key: str | None = None  # the variable whose value is sent as the API key
    missing: str | None = None  # the key variable(s) the provider needs and the environment lacks

    def record(self) -> dict:
        """What the run stores and reports: the URL without credentials, where it came from, the key's variable."""
        return {"model": self.model, "url": public_url(self.url), "source": self.source, "key": self.key}

    def described(self) -> str:
        return describe(self.record())

    def secrets(self) -> list[str]:
        """The credentials of this endpoint: those in its URL and the key's value."""
        value = (os.environ.get(self.key) or "").strip() if self.key else ""
        return [v for v in url_secrets(self.url) + [value] if len(v) >= URL_SECRET_CHARS]


def describe(record: dict) -> str:
    """`http://host/v1 (from OPENAI_BASE_URL in .env)`, or the source alone where there is no URL."""
    return f"{record['url']} ({record['source']})" if record.get("url") else record["source"]


def resolve(models: list[str], api_base: str | None, api_base_source: str = "from --api-base",
            dotenv: DotEnv | None = None) -> tuple[Endpoint, ...]:
    """Each model's endpoint and key variable, read once from the options and the environment."""
    dotenv = dotenv or DotEnv()
    return tuple(endpoint_of(m, api_base, api_base_source, dotenv) for m in dict.fromkeys(models))


def endpoint_of(model: str, api_base: str | None, api_base_source: str, dotenv: DotEnv) -> Endpoint:
    if model.startswith("simulated/"):
        return Endpoint(model, None, SIMULATED)
    provider = provider_of(model)
    url, source = _base(model, provider, api_base, api_base_source, dotenv)
    key, missing = _key(model, provider)
    return Endpoint(model, url, source, key, missing)


def provider_of(model: str) -> str | None:
    """The model's provider: its prefix for the OpenAI-protocol ones (no litellm import), else litellm's reading."""
    from papers.collect.fast import provider

    if provider(model) is not None:
        return provider(model)
    from papers.collect.calls import quiet_litellm

    try:
        return quiet_litellm().get_llm_provider(model=model)[1]
    except Exception:  # noqa: BLE001 - a provider litellm does not know: its call says so
        return None


def base_variables(provider: str) -> tuple[str, ...]:
    return BASE_VARIABLES.get(provider) or (f"{provider.upper()}_API_BASE", f"{provider.upper()}_BASE_URL")


def _base(model: str, provider: str | None, api_base: str | None, api_base_source: str,
          dotenv: DotEnv) -> tuple[str | None, str]:
    if api_base and api_base.strip():
        return api_base.strip(), api_base_source
    if provider is None:
        return None, "unknown (litellm does not know this model's provider)"
    for name in base_variables(provider):
        value = (os.environ.get(name) or "").strip()
        if value:
            return value, f"from {name} in {'.env' if name in dotenv.taken else 'the environment'}"
    default = DEFAULT_BASES.get(provider) or _litellm_base(model, provider)
    return (default, DEFAULT) if default else (None, f"litellm's default for {provider}")


def _litellm_base(model: str, provider: str) -> str | None:
    """The endpoint litellm itself names for a provider it reaches over the OpenAI protocol (groq, ...)."""
    if provider == "hosted_vllm":
        return None  # no default: --api-base names the server
    from papers.collect.calls import quiet_litellm

    try:
        return quiet_litellm().get_llm_provider(model=model)[3]
    except Exception:  # noqa: BLE001
        return None


def _key(model: str, provider: str | None) -> tuple[str | None, str | None]:
    """The variable whose value is sent as the key, and the variable(s) missing where the provider needs one."""
    if provider is None:
        return None, None
    candidates = KEY_VARIABLES.get(provider, (f"{provider.upper()}_API_KEY",))
    key = next((n for n in candidates if (os.environ.get(n) or "").strip()), None)
    if provider == "hosted_vllm":
        return key, None  # a server of one's own may take any key, or none
    if provider == "openai":
        return "OPENAI_API_KEY", None if key else "OPENAI_API_KEY"
    return key, None if key else _litellm_missing(model)


def _litellm_missing(model: str) -> str | None:
    """The key variables litellm says the model needs and the environment lacks, where they are plain
    API keys (a cloud's credentials, a region or a project may come from elsewhere: the call tells)."""
    from papers.collect.calls import quiet_litellm

    try:
        missing = quiet_litellm().validate_environment(model=model).get("missing_keys") or []
    except Exception:  # noqa: BLE001
        return None
    return " or ".join(missing) if missing and all(n.endswith("_API_KEY") for n in missing) else None


def check_keys(endpoints: tuple[Endpoint, ...]) -> None:
    """Stop before any call when a model's provider needs a key that is not set."""
    for endpoint in endpoints:
        if endpoint.missing:
            names = endpoint.missing.split(" or ")
            unset = f"{names[0]} is not set" if len(names) == 1 else f"none of {', '.join(names)} is set"
            hint = (f"export {names[0]}=... or put that line in a .env file in this folder; nothing was called.")
            if endpoint.model.startswith("openai/"):
                hint += (f" For a server that needs no key, name the model hosted_vllm/{endpoint.model[7:]} "
                         "with --api-base.")
            raise ProviderError(f"{unset}: {endpoint.model} sends its calls with it.", hint)


class KeyRejected(ProviderError):
    """The server refused the credentials (401, 403): no call of the run can succeed."""


def rejected(model: str, endpoint: Endpoint | None, status, detail: str) -> KeyRejected:
    where = f"the server at {endpoint.described()}" if endpoint is not None and endpoint.url else "the provider"
    if endpoint is not None and has_userinfo(endpoint.url):
        what, fix = "the user and password in its URL", "the credentials in --api-base"
    elif endpoint is not None and endpoint.key:
        what, fix = f"the key in {endpoint.key}", f"{endpoint.key} (in the environment or the .env file)"
    else:
        what, fix = "the request's credentials", "the provider's key variable"
    return KeyRejected(f"{model}: {where} rejected {what} ({status or 'auth'} {detail}).",
                       f"check {fix} and the endpoint; every answer received is stored, and the same command "
                       "goes on where this run stopped.")


@dataclass(kw_only=True)
class Routed:
    """Part of every collect and code report (and dry run): where the calls went, each model's
    endpoint record, and the variables of the .env that papers did not take; the summary prints both."""

    endpoints: list[dict] = field(default_factory=list)
    dotenv_ignored: list[str] = field(default_factory=list)
    plan_warnings: list[str] = field(default_factory=list)  # what the plan leaves out that a user may not expect

    def routed(self, calls, dotenv: DotEnv):
        """This report, with the endpoints of `calls` (CallSettings) and what `dotenv` left out."""
        self.endpoints = [e.record() for e in calls.endpoints]
        self.dotenv_ignored = list(dotenv.ignored)
        return self

    def routing(self) -> dict:
        return {"endpoints": self.endpoints, "dotenv_ignored": self.dotenv_ignored, "plan_warnings": self.plan_warnings}
