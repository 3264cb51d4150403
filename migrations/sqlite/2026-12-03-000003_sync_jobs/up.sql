-- Syncs started with `Prefer: respond-async` (docs/SYNC.md). The replica running a job writes its
-- progress here and keeps `updated_at` fresh while it runs, so that any replica can answer a poll
-- and a job whose replica died is told apart from a slow one. `result` and `error` hold the job's
-- answer as the API renders it (JSON). Finished jobs are pruned after a day.
CREATE TABLE sync_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    component_id TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    phase TEXT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);

-- A new job joins the running one of its component; pruning reads by finish time.
CREATE INDEX sync_jobs_component_idx ON sync_jobs (component_id, status);
CREATE INDEX sync_jobs_finished_idx ON sync_jobs (finished_at);
