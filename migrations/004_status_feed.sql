-- Status at crowd scale: a change sequence on the rows the status board reads (turns, participants, contributions),
-- so each process catches up on a ceremony by reading only what changed since it last looked; indexes for the
-- statements on the request path and the queue timer; and how far the timer has already swept silent participants.

CREATE SEQUENCE status_changes;

CREATE FUNCTION bump_status_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.change_seq := nextval('status_changes'); RETURN NEW; END $$;

ALTER TABLE turns ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE contributions ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;

-- Only the columns the board shows: heartbeats (last_seen_at) and timings do not count as changes.
CREATE TRIGGER turns_status_change BEFORE INSERT OR UPDATE OF state, deadline ON turns
  FOR EACH ROW EXECUTE FUNCTION bump_status_change();
CREATE TRIGGER participants_status_change BEFORE INSERT OR UPDATE OF name, public_key, revoked_at ON participants
  FOR EACH ROW EXECUTE FUNCTION bump_status_change();
CREATE TRIGGER contributions_status_change BEFORE INSERT OR UPDATE OF state ON contributions
  FOR EACH ROW EXECUTE FUNCTION bump_status_change();

CREATE INDEX turns_by_change ON turns (ceremony_id, change_seq);
CREATE INDEX participants_by_change ON participants (ceremony_id, change_seq);
CREATE INDEX contributions_by_change ON contributions (ceremony_id, change_seq);

-- A participant's pending turns (join, leave, the pass rule of the activation, the silent-participant sweep).
CREATE INDEX turns_pending_by_participant ON turns (ceremony_id, participant_id)
  WHERE state IN ('waiting', 'active', 'verifying');
CREATE INDEX contributions_by_participant ON contributions (ceremony_id, participant_id, circuit_name);
-- The sweep of participants gone silent reads only those who fell silent since the last sweep.
CREATE INDEX participants_by_last_seen ON participants (ceremony_id, last_seen_at);

-- Participants registered so far: the next participant id, without counting them.
ALTER TABLE ceremonies ADD COLUMN participants_registered integer NOT NULL DEFAULT 0;
UPDATE ceremonies c SET participants_registered = (SELECT count(*) FROM participants p WHERE p.ceremony_id = c.id);

-- Heartbeats older than this were already swept: waiting turns of participants silent since before it are gone.
ALTER TABLE ceremonies ADD COLUMN silence_swept_before timestamptz;

-- The sweeper's look for verifications whose job died reads only the contributions being verified.
CREATE INDEX contributions_verifying ON contributions (ceremony_id) WHERE state = 'verifying';
