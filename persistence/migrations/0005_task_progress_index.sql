-- Finding whether a stage still has unfinished tasks must not scan the finished ones.
CREATE INDEX tasks_open_by_stage_idx ON app.tasks (job_id, stage) WHERE status <> 'completed';
