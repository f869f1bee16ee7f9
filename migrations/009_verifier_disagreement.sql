-- A circuit whose step verifier accepted a zkey that snarkjs verifyFromInit refused hands out no more turns: the
-- disagreement is logged and the coordinator must step in. NULL while the circuit runs normally.
ALTER TABLE circuits ADD COLUMN halted_reason text;
