-- Retried jobs wait before their next try (run_after); the blobs table was written and never read: the blob
-- store on disk, addressed by SHA-256, is the only record of uploaded files.

ALTER TABLE jobs ADD COLUMN run_after timestamptz NOT NULL DEFAULT now();

DROP TABLE blobs;
