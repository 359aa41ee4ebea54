-- Onedoor schema, version 2: what the web application needs.
-- Times are TEXT in UTC like in version 1.

-- Server-side sessions of staff and residents. The cookie holds a random
-- 256-bit id; only its SHA-256 is stored, so a copy of the table opens no
-- session. window holds the applicant a clerk is serving, sealed (AES-GCM).
CREATE TABLE sessions (
	id_hash    TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	staff_id   BIGINT NOT NULL DEFAULT 0,
	person_id  BIGINT NOT NULL DEFAULT 0,
	csrf       TEXT NOT NULL,
	win        TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	seen_at    TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX sessions_staff ON sessions (staff_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed logins and one-time-code requests, per bucket ("user:NAME",
-- "ip:ADDR", …), for throttling that holds across several nodes.
CREATE TABLE login_attempts (
	id     {{ID}},
	bucket TEXT NOT NULL,
	at     TEXT NOT NULL
);
CREATE INDEX login_attempts_bucket ON login_attempts (bucket, at);

-- Residents' one-time codes (simulated SMS). The challenge id and the code
-- are stored as hashes; ID and phone numbers sealed and blind-indexed.
CREATE TABLE resident_codes (
	id_hash      TEXT PRIMARY KEY,
	id_index     TEXT NOT NULL,
	id_sealed    TEXT NOT NULL,
	name         TEXT NOT NULL,
	phone_index  TEXT NOT NULL,
	phone_sealed TEXT NOT NULL,
	code_hash    TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	expires_at   TEXT NOT NULL,
	created_at   TEXT NOT NULL
);

-- Every staff access to a person's or organisation's personal data: who,
-- from which department, why. It is what the resident sees under
-- "who looked at my data".
CREATE TABLE access_log (
	id          {{ID}},
	at          TEXT NOT NULL,
	subject     TEXT NOT NULL,
	holder_id   BIGINT NOT NULL,
	staff_id    BIGINT NOT NULL,
	staff_name  TEXT NOT NULL,
	role        TEXT NOT NULL,
	department  TEXT NOT NULL DEFAULT '',
	purpose     TEXT NOT NULL,
	case_number TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL
);
CREATE INDEX access_log_holder ON access_log (subject, holder_id, at);
