-- Access: co-coordinators a ceremony's owner adds, the rejoin cool-down, and indexes the credential purge uses.

CREATE TABLE ceremony_coordinators (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  public_key text NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ceremony_id, public_key)
);

CREATE INDEX ceremony_coordinators_by_key ON ceremony_coordinators (public_key);

CREATE INDEX participants_by_key ON participants (public_key);

-- When the participant last left the queue: a rejoin waits for the cool-down after it.
ALTER TABLE participants ADD COLUMN left_at timestamptz;

CREATE INDEX auth_nonces_expiry ON auth_nonces (expires_at);

CREATE INDEX auth_nonces_by_key ON auth_nonces (public_key);

CREATE INDEX auth_tokens_expiry ON auth_tokens (expires_at);

-- A revoked participant may no longer queue, upload or cosign in that ceremony.
ALTER TABLE participants ADD COLUMN revoked_at timestamptz;
