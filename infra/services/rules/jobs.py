"""Rules only jobs have: shape (parallelism, completions, retries, timeout) and trigger."""

from __future__ import annotations

import zoneinfo

from infra.services.cron import cron_problem, never_fires
from infra.services.patterns import (
    UTC_ZONES,
)
from infra.services.rules.identity import queue_identity
from infra.services.rules.registry import (
    Check,
    job_rule,
)
from infra.services.spec import (
    Event,
    JobSpec,
    Schedule,
    Target,
)


@job_rule("job-shape")
def shape(c: Check[JobSpec]) -> None:
    """A job's parallelism, completions, retries and timeout must be values both targets accept and
    that do useful work (no replica without a completion to do)."""
    job = c.spec
    for field_name, value in (
        ("parallelism", job.parallelism),
        ("completions", job.completions),
    ):
        if value < 1:
            c.add(field_name, value, "must be at least 1", "use e.g. 1")
    if 1 <= job.completions < job.parallelism:
        c.add(
            "parallelism",
            job.parallelism,
            f"is above completions={job.completions}; the extra replicas would have nothing to do",
            f"lower parallelism to at most {job.completions}, or raise completions",
        )
    if not 0 <= job.retries <= 10:
        c.add("retries", job.retries, "must be 0..10", "use e.g. 1")
    if not 1 <= job.timeout_seconds <= 86400:
        c.add(
            "timeout_seconds",
            job.timeout_seconds,
            "must be 1..86400 (a day)",
            "use e.g. 1800; split longer work into several runs",
        )


@job_rule("trigger")
def trigger(c: Check[JobSpec]) -> None:
    """A job runs on a valid cron schedule in a time zone the target supports, or on a queue the
    scaler can read with the job's identity."""
    job = c.spec
    trigger = job.trigger
    if isinstance(trigger, Schedule):
        problem = cron_problem(trigger.cron)
        if problem is not None:
            c.add(
                "trigger.cron",
                trigger.cron,
                f"is not a cron schedule: {problem}",
                "use five fields: minute hour day-of-month month day-of-week, e.g. '30 2 * * *'",
            )
        elif (never := never_fires(trigger.cron)) is not None:
            c.add(
                "trigger.cron",
                trigger.cron,
                never,
                "choose a day those months have (e.g. 28 for the end of February), or use "
                "Manual() for a job that only runs when started",
            )
        if trigger.time_zone not in UTC_ZONES:
            try:
                zoneinfo.ZoneInfo(trigger.time_zone)
            except (ValueError, zoneinfo.ZoneInfoNotFoundError):
                c.add(
                    "trigger.time_zone",
                    trigger.time_zone,
                    "is not an IANA time zone",
                    "use e.g. Etc/UTC or Europe/Amsterdam",
                )
                return
            if job.target is Target.CONTAINER_APPS:
                c.add(
                    "trigger.time_zone",
                    trigger.time_zone,
                    "is not available on Container Apps, which runs schedules in UTC",
                    "write the schedule in UTC (time_zone='Etc/UTC'), or target AKS",
                )
    elif isinstance(trigger, Event):
        if trigger.max_executions < 1:
            c.add(
                "trigger.max_executions",
                trigger.max_executions,
                "must be at least 1",
                "use e.g. 10",
            )
        if not 1 <= trigger.polling_seconds <= 3600:
            c.add(
                "trigger.polling_seconds",
                trigger.polling_seconds,
                "must be 1..3600",
                "use e.g. 30",
            )
        queue_identity(c, "trigger.queue", trigger.queue)


@job_rule("job-ingress")
def job_ingress(c: Check[JobSpec]) -> None:
    """A job serves no traffic, so an ingress on it is a mistake (a service was meant)."""
    if c.spec.ingress is not None:
        c.add(
            "ingress",
            None,
            "a job serves no traffic, so it takes no ingress",
            "remove ingress, or declare a ServiceSpec for something callers reach",
        )
