"""How calls are made, shared by `papers collect` and `papers code`: each call option defined once.

A field with `option(...)` metadata is a command-line option: papers.options turns every such field
into a click option `--<name>` with the environment variable `PAPERS_<NAME>`, and the values into
one `CallSettings`. The type, default and help of an option are written here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def option(help: str, *, minimum: float | None = None, file: bool = False, default=None, auto: bool = False):
    """A field that is also a command-line option: its help, the smallest value accepted, whether
    it names an existing file, whether `auto` is a value (stored as 0)."""
    return field(default=default, metadata={"help": help, "minimum": minimum, "file": file, "auto": auto})


@dataclass(frozen=True, kw_only=True)
class CallSettings:
    concurrency: int = option("Calls in flight at once.", minimum=1, default=16)
    processes: int = option("Worker processes making the calls, or auto: one process unless several are faster "
                            "end to end for the calls planned (each pays litellm's start-up).", minimum=1, default=0,
                            auto=True)
    timeout: float = option("Seconds per request, first byte to last.", minimum=0.1, default=60.0)
    max_retries: int = option("Retries of a call after a transient fault.", minimum=0, default=4)
    api_base: str | None = option("Base URL of an OpenAI-compatible server (vLLM, Ollama, a gateway).")
    env_endpoints: bool = option("Take every variable of a .env file, endpoints included (OPENAI_BASE_URL, a "
                                 "proxy); without it a .env supplies API keys only.", default=False)
    max_cost: float | None = option("Stop cleanly once this many US dollars are spent.", minimum=0)
    retry_errors: bool = option("Call again where the stored outcome is an error.", default=False)
    dry_run: bool = option("Print calls, tokens and estimated cost; call nothing.", default=False)
    simulated_profiles: str | None = option("YAML file of extra simulated/<profile> worths.", file=True)
    batch: bool = option("Submit the pending trials as provider batch jobs (about half the price, results within "
                         "24 h); run the same command again to store the results.", default=False)
    wait: bool = option("With --batch: wait for the jobs to end and store their results.", default=False)
    batch_size: int = option("With --batch: requests per batch job at most (OpenAI takes 50,000).", minimum=1,
                             default=50_000)
    poll_interval: float = option("With --batch --wait: seconds between checks of the jobs.", minimum=0.01,
                                  default=30.0)
    backoff: float = 1.0  # seconds before the first retry, doubled at each; not an option
    api_base_source: str = "from --api-base"  # or "from PAPERS_API_BASE in the environment"; not an option
    endpoints: tuple = ()  # each model's Endpoint (papers/collect/endpoints.py), resolved once before the calls

    def endpoint(self, model: str):
        """The model's resolved Endpoint, or None where the run's endpoints were not resolved."""
        return next((e for e in self.endpoints if e.model == model), None)

    def base_url(self, model: str) -> str | None:
        """The URL the model's calls go to, credentials included: passed to every call explicitly."""
        endpoint = self.endpoint(model)
        return self.api_base if endpoint is None else endpoint.url

    def secrets(self) -> list[str]:
        """The credentials of the run's endpoints (URL passwords and tokens, key values), for redaction."""
        return [value for e in self.endpoints for value in e.secrets()]

    def as_dict(self) -> dict:
        """The settings that shape a run's calls, as a run records them."""
        from papers.collect.endpoints import public_url

        return {"concurrency": self.concurrency, "timeout": self.timeout, "max_retries": self.max_retries,
                "backoff": self.backoff, "api_base": public_url(self.api_base), "max_cost": self.max_cost,
                "retry_errors": self.retry_errors, "processes": self.processes, "batch": self.batch,
                "env_endpoints": self.env_endpoints, "endpoints": [e.record() for e in self.endpoints]}
