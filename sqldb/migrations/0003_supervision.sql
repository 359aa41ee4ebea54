-- Onedoor schema, version 3: electronic supervision (电子监察), ratings
-- (好差评) and their rectifications. Times are TEXT in UTC like in version 1.

-- Supervision cards. A card is never deleted: it is issued, explained by the
-- responsible officer, closed by a supervisor. One card per level of one
-- clock or act (scope_key) of a case.
CREATE TABLE cards (
	id           {{ID}},
	case_id      BIGINT NOT NULL,
	case_number  TEXT NOT NULL,
	matter       TEXT NOT NULL,
	department   TEXT NOT NULL,
	officer_id   BIGINT NOT NULL DEFAULT 0,
	officer_name TEXT NOT NULL DEFAULT '',
	rule         TEXT NOT NULL,
	level        TEXT NOT NULL,
	rank         INTEGER NOT NULL,
	scope_key    TEXT NOT NULL,
	detail       TEXT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'issued',
	issued_at    TEXT NOT NULL,
	issued_on    TEXT NOT NULL,
	explanation  TEXT NOT NULL DEFAULT '',
	explained_by TEXT NOT NULL DEFAULT '',
	explained_at TEXT NOT NULL DEFAULT '',
	closing_note TEXT NOT NULL DEFAULT '',
	closed_by    TEXT NOT NULL DEFAULT '',
	closed_at    TEXT NOT NULL DEFAULT '',
	UNIQUE (case_id, scope_key, level)
);
CREATE INDEX cards_department ON cards (department, status);
CREATE INDEX cards_case ON cards (case_number);

-- Ratings (好差评): one per case. The rater is kept only sealed, for the
-- call-back; officers never see it.
CREATE TABLE ratings (
	id           {{ID}},
	case_id      BIGINT NOT NULL UNIQUE,
	case_number  TEXT NOT NULL,
	matter       TEXT NOT NULL,
	department   TEXT NOT NULL,
	score        INTEGER NOT NULL,
	indicators   TEXT NOT NULL DEFAULT '',
	comment      TEXT NOT NULL DEFAULT '',
	channel      TEXT NOT NULL,
	at           TEXT NOT NULL
);
CREATE INDEX ratings_department ON ratings (department);

-- Rectifications of bad ratings, on a working-day clock, closed only after
-- a recorded call-back.
CREATE TABLE rectifications (
	id           {{ID}},
	rating_id    BIGINT NOT NULL UNIQUE,
	case_id      BIGINT NOT NULL,
	matter       TEXT NOT NULL,
	department   TEXT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'open',
	opened_at    TEXT NOT NULL,
	due          TEXT NOT NULL,
	action_taken TEXT NOT NULL DEFAULT '',
	callback     TEXT NOT NULL DEFAULT '',
	callback_by  TEXT NOT NULL DEFAULT '',
	callback_at  TEXT NOT NULL DEFAULT '',
	closed_by    TEXT NOT NULL DEFAULT '',
	closed_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX rectifications_department ON rectifications (department, status);

-- The supervision log: every change of a card, rating or rectification,
-- hash-chained like the case events, so a record altered or removed
-- outside Onedoor breaks the chain.
CREATE TABLE supervision_log (
	seq       BIGINT PRIMARY KEY,
	kind      TEXT NOT NULL,
	ref_id    BIGINT NOT NULL,
	action    TEXT NOT NULL,
	actor     TEXT NOT NULL,
	at        TEXT NOT NULL,
	body      TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE INDEX supervision_log_ref ON supervision_log (kind, ref_id);

-- Complaints (投诉): about a case or a matter in general, routed to the
-- responsible department with a working-day deadline. Resolution is not
-- closure: the resident accepts (closed) or reopens.
CREATE TABLE complaints (
	id          {{ID}},
	person_id   BIGINT NOT NULL,
	case_number TEXT NOT NULL DEFAULT '',
	matter      TEXT NOT NULL,
	department  TEXT NOT NULL,
	body        TEXT NOT NULL,
	status      TEXT NOT NULL DEFAULT 'open',
	filed_at    TEXT NOT NULL,
	due         TEXT NOT NULL,
	resolution  TEXT NOT NULL DEFAULT '',
	resolved_by TEXT NOT NULL DEFAULT '',
	resolved_at TEXT NOT NULL DEFAULT '',
	reopens     INTEGER NOT NULL DEFAULT 0,
	reopen_note TEXT NOT NULL DEFAULT '',
	closed_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX complaints_department ON complaints (department, status);
CREATE INDEX complaints_person ON complaints (person_id);
