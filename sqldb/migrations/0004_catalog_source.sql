-- Onedoor schema, version 4: the catalogs administrators import, as the
-- files they imported, so that a restart and the other nodes run the
-- catalog the last import made current. Times are TEXT in UTC.
CREATE TABLE catalog_sources (
	id          {{ID}},
	imported_at TEXT NOT NULL,
	staff_id    BIGINT NOT NULL,
	files       TEXT NOT NULL -- JSON: [{"name": …, "content": …}]
);
