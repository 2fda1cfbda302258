-- Invite messages are base64 MIME (every part base64, mail.c): pglz gains
-- little on them (a quarter at best) and cost each booking about 0.6 ms of
-- database time per recipient (pg_stat_statements in the bench,
-- docs/performance.md). Kept out of line, uncompressed; a sent message's
-- body is dropped by retention anyway (sql/022).
ALTER TABLE outbox ALTER COLUMN message SET STORAGE EXTERNAL;
