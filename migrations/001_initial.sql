-- Ceremonies, circuits, participants, turns, contributions, the transcript with its Merkle nodes and checkpoints,
-- authentication, and background jobs.

CREATE TABLE ceremonies (
  id text PRIMARY KEY,
  title text NOT NULL,
  state text NOT NULL CHECK (state IN ('draft', 'open', 'closed', 'finalized')),
  timeout_seconds integer NOT NULL CHECK (timeout_seconds > 0),
  starts_at timestamptz,
  ends_at timestamptz,
  open_registration boolean NOT NULL,
  coordinator_key text NOT NULL,
  finalization jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE circuits (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  name text NOT NULL,
  position integer NOT NULL,
  status text NOT NULL CHECK (status IN ('preparing', 'ready', 'failed')),
  error text,
  r1cs_sha256 text NOT NULL,
  ptau_sha256 text NOT NULL,
  initial_zkey_sha256 text,
  constraints integer,
  power integer,
  contribution_index integer NOT NULL DEFAULT 0,
  latest_zkey_sha256 text,
  final_zkey_sha256 text,
  verification_key_sha256 text,
  verifier_sol_sha256 text,
  PRIMARY KEY (ceremony_id, name),
  UNIQUE (ceremony_id, position)
);

CREATE TABLE participants (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  participant_id text NOT NULL,
  name text NOT NULL,
  public_key text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  PRIMARY KEY (ceremony_id, participant_id),
  UNIQUE (ceremony_id, public_key)
);

CREATE SEQUENCE queue_positions;

CREATE TABLE turns (
  id bigserial PRIMARY KEY,
  ceremony_id text NOT NULL,
  circuit_name text NOT NULL,
  participant_id text NOT NULL,
  queue_pos bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('waiting', 'active', 'verifying', 'done', 'expired', 'rejected', 'cancelled')),
  started_at timestamptz,
  deadline timestamptz,
  ended_at timestamptz,
  FOREIGN KEY (ceremony_id, circuit_name) REFERENCES circuits (ceremony_id, name),
  FOREIGN KEY (ceremony_id, participant_id) REFERENCES participants (ceremony_id, participant_id)
);

-- The database itself guarantees one contributor at a time per circuit.
CREATE UNIQUE INDEX turns_one_holder_per_circuit ON turns (ceremony_id, circuit_name)
  WHERE state IN ('active', 'verifying');

CREATE UNIQUE INDEX turns_one_pending_per_participant ON turns (ceremony_id, circuit_name, participant_id)
  WHERE state IN ('waiting', 'active', 'verifying');

CREATE INDEX turns_waiting ON turns (ceremony_id, circuit_name, queue_pos) WHERE state = 'waiting';

CREATE TABLE contributions (
  id text PRIMARY KEY,
  ceremony_id text NOT NULL,
  circuit_name text NOT NULL,
  participant_id text NOT NULL,
  turn_id bigint NOT NULL REFERENCES turns (id),
  idx integer NOT NULL,
  prev_zkey_sha256 text NOT NULL,
  zkey_sha256 text NOT NULL,
  zkey_size bigint NOT NULL,
  contribution_hash text,
  attestation text,
  statement text,
  state text NOT NULL CHECK (state IN ('verifying', 'accepted', 'rejected')),
  reason_code text,
  reason_message text,
  seq integer,
  verify_ms integer,
  verify_max_rss bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  FOREIGN KEY (ceremony_id, circuit_name) REFERENCES circuits (ceremony_id, name)
);

CREATE UNIQUE INDEX contributions_one_accepted_per_index ON contributions (ceremony_id, circuit_name, idx)
  WHERE state = 'accepted';

CREATE TABLE transcript_entries (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  seq integer NOT NULL,
  type text NOT NULL,
  line text NOT NULL,
  leaf_hash text NOT NULL,
  PRIMARY KEY (ceremony_id, seq)
);

CREATE TABLE merkle_nodes (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  level smallint NOT NULL,
  idx integer NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (ceremony_id, level, idx)
);

CREATE TABLE checkpoints (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  tree_size integer NOT NULL,
  root_hash text NOT NULL,
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ceremony_id, tree_size)
);

CREATE TABLE cosignatures (
  ceremony_id text NOT NULL,
  tree_size integer NOT NULL,
  participant_id text NOT NULL,
  line text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ceremony_id, tree_size, participant_id),
  FOREIGN KEY (ceremony_id, tree_size) REFERENCES checkpoints (ceremony_id, tree_size)
);

CREATE TABLE blobs (
  sha256 text PRIMARY KEY,
  size bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth_nonces (
  nonce text PRIMARY KEY,
  public_key text NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE auth_tokens (
  token_sha256 text PRIMARY KEY,
  public_key text NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX jobs_queued ON jobs (id) WHERE state IN ('queued', 'running');
