-- A coordinator's rewind (`circuit.rewound`) voids the accepted contributions after the index it goes back to: they
-- stay in the table, marked by the seq of that entry, and the index they held may be accepted again.
ALTER TABLE contributions ADD COLUMN voided_seq integer;
DROP INDEX contributions_one_accepted_per_index;
CREATE UNIQUE INDEX contributions_one_accepted_per_index ON contributions (ceremony_id, circuit_name, idx)
  WHERE state = 'accepted' AND voided_seq IS NULL;
