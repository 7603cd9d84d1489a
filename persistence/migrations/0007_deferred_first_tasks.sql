-- A request's first job is created with the request, in the transaction its group of submits
-- shares. When the job's first stage is one task that takes the job's parameters as they are
-- (most first stages), that task is not written then: the job is stored with
-- tasks_planned = false, and the first claim that finds it writes the task (in the claim's own
-- transaction, under the job's row lock). A submit so writes one job row and no task row.
ALTER TABLE app.jobs ADD COLUMN tasks_planned boolean NOT NULL DEFAULT true;
-- Claims look for them in creation order; cancelled (or otherwise moved on) jobs leave the index.
CREATE INDEX jobs_unplanned_idx ON app.jobs (created_at, job_id)
  WHERE NOT tasks_planned AND status = 'queued';
