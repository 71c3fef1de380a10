"""Celery tasks for sources: thin. They load ids, call a service, and retry when it says so.

Every task is safe to run twice (late acknowledgement redelivers a task whose worker died;
the stall sweep sends a lost job again): ``sources.services.job_run`` locks the job row and
skips a job that has already succeeded.
"""

import logging

from celery import Task, shared_task
from celery.signals import worker_ready

from sources import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_job(self: Task, job_id: int) -> str:
    outcome = services.job_run(job_id=job_id, task_id=self.request.id or "")
    if outcome.retry_in is not None:
        # Job.attempts counts the tries (it survives worker restarts); Celery's own counter
        # is not the limit, hence max_retries=None.
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True)
def check_links() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): queue a link check job per source with a URL."""
    return services.link_checks_enqueue()


@shared_task(acks_late=True)
def requeue_stalled_jobs() -> int:
    """Every few minutes (CELERY_BEAT_SCHEDULE), and once after each worker start."""
    return services.jobs_requeue_stalled()


@worker_ready.connect
def _sweep_after_start(**kwargs: object) -> None:
    # A worker that starts may be replacing one that was killed mid-job: sweep at once for jobs
    # already stalled; beat's sweep catches the ones that stall later. (No countdown: a task
    # held for later would sit in a one-process worker's prefetch window.)
    requeue_stalled_jobs.delay()
