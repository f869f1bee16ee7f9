-- Witnesses (C2SP tlog-witness) cosign each ceremony's checkpoints: per witness, the size of the log it is known to
-- hold and the newest size it cosigned for us, why it last refused (a rollback or a split view), and the cosignature
-- lines it returned, served as extra signature lines on those checkpoints.
CREATE TABLE witness_heads (
  ceremony_id text NOT NULL REFERENCES ceremonies (id),
  witness text NOT NULL,
  held_size integer NOT NULL DEFAULT 0,
  cosigned_size integer NOT NULL DEFAULT 0,
  refusal text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ceremony_id, witness)
);

CREATE TABLE witness_cosignatures (
  ceremony_id text NOT NULL,
  tree_size integer NOT NULL,
  witness text NOT NULL,
  line text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ceremony_id, tree_size, witness),
  FOREIGN KEY (ceremony_id, tree_size) REFERENCES checkpoints (ceremony_id, tree_size)
);
