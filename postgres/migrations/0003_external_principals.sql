-- Principals bound to an identity provider's identity (issue 16): an
-- access token from issuer whose subject is external_subject stands for
-- the principal. '' for principals with a token of Probity's own.
ALTER TABLE principals ADD COLUMN issuer TEXT NOT NULL DEFAULT '';
ALTER TABLE principals ADD COLUMN external_subject TEXT NOT NULL DEFAULT '';

-- One active principal per external identity.
CREATE UNIQUE INDEX principals_external ON principals (issuer, external_subject) WHERE issuer <> '' AND revoked_at = 0;
