-- Onedoor schema, version 1. {{ID}} becomes the engine's auto-increment key.
-- Times are TEXT in UTC ("2006-01-02T15:04:05.000000Z"), dates TEXT "YYYY-MM-DD":
-- one representation on both engines, sortable as text.

CREATE TABLE departments (
	code       TEXT PRIMARY KEY,
	definition TEXT NOT NULL
);

CREATE TABLE licence_types (
	code       TEXT PRIMARY KEY,
	definition TEXT NOT NULL
);

-- Every version of every matter ever loaded; a case keeps the version it was accepted under.
CREATE TABLE matters (
	code        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	subject     TEXT NOT NULL,
	department  TEXT NOT NULL,
	definition  TEXT NOT NULL,
	loaded_at   TEXT NOT NULL,
	PRIMARY KEY (code, version)
);

CREATE TABLE bundles (
	code        TEXT NOT NULL,
	version     INTEGER NOT NULL,
	definition  TEXT NOT NULL,
	loaded_at   TEXT NOT NULL,
	PRIMARY KEY (code, version)
);

-- Natural persons. ID and phone numbers only sealed (AES-GCM) and as keyed hashes.
CREATE TABLE persons (
	id           {{ID}},
	id_index     TEXT NOT NULL UNIQUE,
	id_sealed    TEXT NOT NULL,
	id_masked    TEXT NOT NULL,
	name         TEXT NOT NULL,
	sex          TEXT NOT NULL,
	birth        TEXT NOT NULL,
	region       TEXT NOT NULL,
	phone_index  TEXT NOT NULL DEFAULT '',
	phone_sealed TEXT NOT NULL DEFAULT '',
	local        BOOLEAN NOT NULL DEFAULT FALSE,
	street       TEXT NOT NULL DEFAULT '',
	community    TEXT NOT NULL DEFAULT '',
	household    BIGINT NOT NULL DEFAULT 0,
	lives_alone  BOOLEAN NOT NULL DEFAULT FALSE,
	disabled     BOOLEAN NOT NULL DEFAULT FALSE,
	dishonest    BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   TEXT NOT NULL
);
CREATE INDEX persons_phone ON persons (phone_index);

-- Legal persons.
CREATE TABLE orgs (
	id          {{ID}},
	uscc        TEXT NOT NULL UNIQUE,
	legacy      BOOLEAN NOT NULL DEFAULT FALSE,
	name        TEXT NOT NULL,
	kind        TEXT NOT NULL DEFAULT '',
	size        TEXT NOT NULL DEFAULT '',
	registered  TEXT NOT NULL DEFAULT '',
	street      TEXT NOT NULL DEFAULT '',
	dishonest   BOOLEAN NOT NULL DEFAULT FALSE,
	created_at  TEXT NOT NULL
);

-- Cases: state is the full JSON of onedoor.Case; the other columns are for lookups.
CREATE TABLE cases (
	id             {{ID}},
	number         TEXT NOT NULL UNIQUE,
	verify_hash    TEXT NOT NULL,
	matter         TEXT NOT NULL,
	matter_version INTEGER NOT NULL,
	bundle         TEXT NOT NULL DEFAULT '',
	subject        TEXT NOT NULL,
	applicant_id   BIGINT NOT NULL,
	status         TEXT NOT NULL,
	step           INTEGER NOT NULL,
	department     TEXT NOT NULL DEFAULT '',
	due            TEXT NOT NULL DEFAULT '',
	step_due       TEXT NOT NULL DEFAULT '',
	received_at    TEXT NOT NULL,
	accepted_at    TEXT NOT NULL DEFAULT '',
	closed_at      TEXT NOT NULL DEFAULT '',
	version        INTEGER NOT NULL,
	state          TEXT NOT NULL
);
CREATE INDEX cases_applicant ON cases (subject, applicant_id);
CREATE INDEX cases_inbox ON cases (department, status, step_due);
-- Most cases belong to no bundle: index only those that do.
CREATE INDEX cases_bundle ON cases (bundle) WHERE bundle <> '';

-- The audit chain: one global sequence, each event linked to its predecessor.
CREATE TABLE events (
	seq         BIGINT PRIMARY KEY,
	case_id     BIGINT NOT NULL,
	case_number TEXT NOT NULL,
	version     INTEGER NOT NULL,
	type        TEXT NOT NULL,
	status      TEXT NOT NULL,
	step        INTEGER NOT NULL,
	at          TEXT NOT NULL,
	command     TEXT NOT NULL,
	state_hash  TEXT NOT NULL,
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX events_case ON events (case_id, version);

CREATE TABLE chain_head (
	id   INTEGER PRIMARY KEY,
	seq  BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE checkpoints (
	seq       BIGINT PRIMARY KEY,
	hash      TEXT NOT NULL,
	at        TEXT NOT NULL,
	signature TEXT NOT NULL
);

-- The e-licence registry.
CREATE TABLE licences (
	id          {{ID}},
	number      TEXT NOT NULL UNIQUE,
	type        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	holder_id   BIGINT NOT NULL,
	issuer      TEXT NOT NULL,
	case_number TEXT NOT NULL,
	issued_at   TEXT NOT NULL,
	valid_from  TEXT NOT NULL,
	valid_until TEXT NOT NULL DEFAULT '',
	signature   TEXT NOT NULL
);
CREATE INDEX licences_holder ON licences (subject, holder_id, type);

-- Transactional outbox: written with the change, sent after commit.
CREATE TABLE outbox (
	id          {{ID}},
	sender      TEXT NOT NULL,
	recipient   TEXT NOT NULL,
	topic       TEXT NOT NULL,
	body        TEXT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	next_at     TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'pending',
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	sent_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (status, next_at);

-- Staff accounts. Tokens only as hashes.
CREATE TABLE staff (
	id            {{ID}},
	username      TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	department    TEXT NOT NULL DEFAULT '',
	token_hash    TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at    TEXT NOT NULL
);

-- Named counters (daily case number sequences).
CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);
