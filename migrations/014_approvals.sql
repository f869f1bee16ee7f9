-- M-of-N approvals: how many coordinators must sign an act that cannot be undone, and the approvals still waiting.

ALTER TABLE ceremonies ADD COLUMN approvals_required integer NOT NULL DEFAULT 1
  CHECK (approvals_required BETWEEN 1 AND 16);

-- One row per coordinator who signed a pending request; rows leave when the act is done, withdrawn or expired
-- (the transcript keeps every approval.given).
CREATE TABLE pending_approvals (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  request_id text NOT NULL,
  public_key text NOT NULL,
  action text NOT NULL,
  arguments jsonb NOT NULL,
  proposer_key text NOT NULL,
  seq integer NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (ceremony_id, request_id, public_key)
);
