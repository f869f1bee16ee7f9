-- Several coordinator processes on one database: a running job is leased by one worker (lease_until, worker_id)
-- and fenced by lease_token, which every claim bumps; an upload holds its turn by a claim row that expires; the
-- streamed step verdict is stored with the contribution so that the worker that commits it need not be the API
-- process that computed it.

ALTER TABLE jobs ADD COLUMN lease_until timestamptz;
ALTER TABLE jobs ADD COLUMN worker_id text;
ALTER TABLE jobs ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;

-- Rows a crash left 'running' before leases existed are free to claim at once.
UPDATE jobs SET lease_until = now() WHERE state = 'running';

CREATE INDEX jobs_lease_expiry ON jobs (lease_until) WHERE state = 'running';

CREATE TABLE upload_claims (
  turn_id bigint PRIMARY KEY REFERENCES turns (id),
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);

ALTER TABLE contributions ADD COLUMN step_passed boolean NOT NULL DEFAULT false;
