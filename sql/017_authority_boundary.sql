-- The authority boundary (issue 14, "The boundary everywhere"): the rows an
-- administrator creates in shared tables now say which authority created
-- them, so that one authority's administrator cannot read, revoke or
-- redirect what belongs to another (docs/security.md).
--
-- feed_tokens.authority_id: the authority whose meetings the feed lists
-- (server/feed.c); only its administrators list or revoke it. Existing
-- feeds take their creator's authority; a feed with no creator cannot be
-- placed, so it is revoked.
ALTER TABLE feed_tokens
	ADD COLUMN authority_id bigint REFERENCES authorities(id);
UPDATE feed_tokens f SET authority_id = u.authority_id
	FROM users u WHERE u.id = f.created_by;
UPDATE feed_tokens SET authority_id = (SELECT min(id) FROM authorities),
	revoked_at = coalesce(revoked_at, now())
	WHERE authority_id IS NULL;
ALTER TABLE feed_tokens ALTER COLUMN authority_id SET NOT NULL;
CREATE INDEX feed_tokens_authority ON feed_tokens (authority_id, id);

-- contacts.authority_id, organisations.authority_id: the authority whose
-- administrator created the entry; only its administrators may edit it
-- (the directory stays readable and usable by every authority). Existing
-- rows take the authority of the audit entry that created them, else the
-- first authority (a deployment of one authority: all of them).
ALTER TABLE organisations
	ADD COLUMN authority_id bigint REFERENCES authorities(id);
ALTER TABLE contacts
	ADD COLUMN authority_id bigint REFERENCES authorities(id);
UPDATE organisations o SET authority_id = a.authority_id
	FROM (SELECT DISTINCT ON (entity_id) entity_id, authority_id
	      FROM audit_log WHERE entity = 'organisation' AND
	      action = 'organisation.create' AND authority_id IS NOT NULL
	      ORDER BY entity_id, id) a
	WHERE a.entity_id = o.id;
UPDATE contacts c SET authority_id = a.authority_id
	FROM (SELECT DISTINCT ON (entity_id) entity_id, authority_id
	      FROM audit_log WHERE entity = 'contact' AND
	      action = 'contact.create' AND authority_id IS NOT NULL
	      ORDER BY entity_id, id) a
	WHERE a.entity_id = c.id;
UPDATE organisations SET authority_id = (SELECT min(id) FROM authorities)
	WHERE authority_id IS NULL;
UPDATE contacts SET authority_id = (SELECT min(id) FROM authorities)
	WHERE authority_id IS NULL;
ALTER TABLE organisations ALTER COLUMN authority_id SET NOT NULL;
ALTER TABLE contacts ALTER COLUMN authority_id SET NOT NULL;

-- The mail gateway gets a role of its own: it may only post replies, for
-- the meetings of every authority (one organiser mailbox serves them all),
-- while an administrator's replies reach only their authority's meetings.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
	CHECK (role IN ('social_worker', 'manager', 'admin', 'mail_gateway'));
