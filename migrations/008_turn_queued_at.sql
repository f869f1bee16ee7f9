-- When a turn entered the queue, so operators can see how long the oldest participant in line has waited.
ALTER TABLE turns ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now();
