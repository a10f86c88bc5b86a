"""Promote or roll back a canary: a pure function of recorded samples.

The deploy workflow only gathers numbers (ready replicas, request and 5xx counts per track)
into a JSON file; this module alone decides. The rule, chosen to be explainable in one line
per outcome:

- **roll back** (weight → 0) when the canary is not healthy: in each of the last
  `window` samples fewer replicas are ready than desired (it never became, or stopped being,
  ready: a crash loop, a failing readiness probe, an image that does not pull); or its
  5xx rate over the window exceeds both `max_error_rate` (1 %) and twice the stable track's
  rate over the same window (so an outage of a shared dependency, which fails both tracks, is
  not blamed on the release);
- **wait** while there are fewer than `window` samples or the canary served fewer than
  `min_requests` requests in the window (too little traffic to judge a rate);
- **advance** to the next step of `steps` (10 → 50 → 100) otherwise; at 100 the rollout is
  **complete**: make the canary image the service's image and remove the rollout.

Error rate = 5xx responses / all responses of the track, summed over the window (not an
average of per-sample rates, which would weight a quiet minute like a busy one). Sources the
workflow reads: Container Apps metric `Requests` of the app, split by the `revisionName` and
`statusCodeCategory` dimensions, and each revision's replica count and health state; on AKS
the Deployments' `status.readyReplicas`/`spec.replicas`, and the 5xx count per backend
Service from Application Gateway for Containers' `BackendHTTPResponseStatus` metric
(dimensions `BackendService`, `HttpResponseCode`; Azure Monitor "Supported metrics for
Microsoft.ServiceNetworking/trafficControllers"); see docs/canary-releases.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ADVANCE = "advance"
    WAIT = "wait"
    ROLLBACK = "rollback"
    COMPLETE = "complete"


@dataclass(frozen=True)
class Sample:
    """One track (stable or canary) at one moment, as the workflow recorded it."""

    ready_replicas: int
    desired_replicas: int
    requests: int
    """Responses served since the previous sample."""
    errors: int
    """5xx responses among them."""

    @property
    def healthy(self) -> bool:
        return self.desired_replicas > 0 and self.ready_replicas >= self.desired_replicas


@dataclass(frozen=True)
class Policy:
    steps: tuple[int, ...] = (10, 50, 100)
    window: int = 3
    """Consecutive samples judged (the workflow samples once a minute: 3 minutes)."""
    min_requests: int = 100
    max_error_rate: float = 0.01
    stable_factor: float = 2.0


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    weight: int
    """The weight to set in the declaration (unchanged for WAIT)."""
    reason: str


def error_rate(samples: Sequence[Sample]) -> float | None:
    requests = sum(s.requests for s in samples)
    if requests == 0:
        return None
    return sum(s.errors for s in samples) / requests


def next_step(weight: int, steps: Sequence[int]) -> int:
    return next((s for s in sorted(steps) if s > weight), 100)


def decide(
    weight: int,
    canary: Sequence[Sample],
    stable: Sequence[Sample],
    policy: Policy = Policy(),
) -> Decision:
    """What to do with a canary at `weight` percent, given samples oldest first."""
    recent = list(canary)[-policy.window :]
    if len(recent) < policy.window:
        return Decision(
            Verdict.WAIT,
            weight,
            f"{len(recent)} of {policy.window} samples recorded: too early to judge",
        )
    if not any(s.healthy for s in recent):
        last = recent[-1]
        return Decision(
            Verdict.ROLLBACK,
            0,
            f"canary not ready in the last {policy.window} samples "
            f"({last.ready_replicas}/{last.desired_replicas} replicas ready)",
        )
    canary_rate = error_rate(recent)
    stable_rate = error_rate(list(stable)[-policy.window :]) or 0.0
    if canary_rate is not None and canary_rate > max(
        policy.max_error_rate, policy.stable_factor * stable_rate
    ):
        return Decision(
            Verdict.ROLLBACK,
            0,
            f"canary 5xx rate {canary_rate:.2%} exceeds {policy.max_error_rate:.0%} and "
            f"{policy.stable_factor:g}x stable's {stable_rate:.2%}",
        )
    served = sum(s.requests for s in recent)
    if weight > 0 and served < policy.min_requests:
        return Decision(
            Verdict.WAIT,
            weight,
            f"canary served {served} requests in the window, fewer than {policy.min_requests}",
        )
    if weight >= 100:
        return Decision(
            Verdict.COMPLETE,
            100,
            "canary healthy at 100 %: make its image the service's image, remove the rollout",
        )
    target = next_step(weight, policy.steps)
    rate = "no requests yet" if canary_rate is None else f"5xx {canary_rate:.2%}"
    return Decision(Verdict.ADVANCE, target, f"canary healthy ({rate}): {weight} % → {target} %")
