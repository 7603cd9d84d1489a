-- CoreMachine: jobs are sequences of stages; a stage is one or many tasks. The stage advance is
-- written in the same transaction as the last task of the stage (see persistence/task_queue.cpp).
CREATE TABLE app.jobs (
  job_id              char(64) PRIMARY KEY CHECK (job_id ~ '^[0-9a-f]{64}$'),
  job_type            text NOT NULL,
  parameters          jsonb NOT NULL DEFAULT '{}'::jsonb,
  status              text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
  stage               integer NOT NULL DEFAULT 1 CHECK (stage >= 1),
  total_stages        integer NOT NULL CHECK (total_stages >= 1),
  stage_results       jsonb NOT NULL DEFAULT '[]'::jsonb,
  result              jsonb,
  error               jsonb,
  platform_request_id char(32) REFERENCES platform.requests(request_id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  completed_at        timestamptz
);
CREATE INDEX jobs_status_created_idx ON app.jobs (status, created_at DESC);
CREATE INDEX jobs_created_idx ON app.jobs (created_at DESC, job_id);
CREATE INDEX jobs_request_idx ON app.jobs (platform_request_id) WHERE platform_request_id IS NOT NULL;

CREATE TABLE app.tasks (
  task_id       bigserial PRIMARY KEY,
  job_id        char(64) NOT NULL REFERENCES app.jobs(job_id) ON DELETE CASCADE,
  stage         integer NOT NULL,
  task_index    integer NOT NULL,
  task_type     text NOT NULL,
  parameters    jsonb NOT NULL DEFAULT '{}'::jsonb,
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'pending_retry',
                                  'cancelled')),
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL DEFAULT 3,
  lease_owner   text,
  lease_until   timestamptz,
  execute_after timestamptz NOT NULL DEFAULT now(),
  result        jsonb,
  error         text,
  error_code    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  completed_at  timestamptz,
  CONSTRAINT tasks_position_key UNIQUE (job_id, stage, task_index)
);
-- Claims look for due waiting tasks and for running tasks whose lease lapsed.
CREATE INDEX tasks_due_idx ON app.tasks (execute_after, task_id)
  WHERE status IN ('pending', 'pending_retry');
CREATE INDEX tasks_lease_idx ON app.tasks (lease_until) WHERE status = 'processing';
