package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"onedoor"
	"onedoor/catalog"
)

// ImportCatalog records every matter and bundle version of cat in the
// database, so that cases keep their version's definition even after the
// catalog moves on. It is all or nothing: a version already recorded with a
// different definition is refused (a changed matter needs a new version).
// It returns how many versions were new.
func (db *DB) ImportCatalog(ctx context.Context, cat *catalog.Catalog) (int, error) {
	added := 0
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.importCatalog(cat, ts(db.now()))
		return err
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// AdoptCatalog imports cat as ImportCatalog does and, in the same
// transaction, keeps the files it was read from; then cat is the running
// catalog of this store. The other nodes adopt it within FollowCatalog's
// interval, and a restart runs it unless the configured catalog brings
// newer versions (see LatestCatalogSource). It returns how many versions
// were new; a refused import changes nothing and adopts nothing.
func (db *DB) AdoptCatalog(ctx context.Context, cat *catalog.Catalog, files []catalog.File, by int64) (int, error) {
	b, err := json.Marshal(files)
	if err != nil {
		return 0, internal("marshal catalog files", err)
	}
	added := 0
	var id int64
	err = db.update(ctx, func(tx *Tx) error {
		now := ts(db.now())
		var err error
		if added, err = tx.importCatalog(cat, now); err != nil {
			return err
		}
		err = tx.QueryRowContext(tx.ctx, `INSERT INTO catalog_sources (imported_at, staff_id, files) VALUES ($1, $2, $3) RETURNING id`, now, by, string(b)).Scan(&id)
		return internal("record catalog source", err)
	})
	if err != nil {
		return 0, err
	}
	db.UseCatalog(cat, id)
	return added, nil
}

// UseCatalog makes cat the running catalog; source is the catalog_sources
// row it was read from (0: the configured catalog). Cases keep the version
// they were accepted under (see MatterVersion).
func (db *DB) UseCatalog(cat *catalog.Catalog, source int64) {
	db.catMu.Lock()
	defer db.catMu.Unlock()
	if source != 0 && source < db.catSource {
		return // a newer import is running already
	}
	db.cat.Store(cat)
	db.catSource = source
}

// CatalogSource is a catalog an administrator imported, as its files.
type CatalogSource struct {
	ID         int64
	ImportedAt time.Time
	StaffID    int64
	Files      []catalog.File
}

// LatestCatalogSource is the last imported catalog; ENOTFOUND if none
// was ever imported.
func (db *DB) LatestCatalogSource(ctx context.Context) (*CatalogSource, error) {
	var src CatalogSource
	var at, files string
	err := db.read.QueryRowContext(ctx, `SELECT id, imported_at, staff_id, files FROM catalog_sources ORDER BY id DESC LIMIT 1`).
		Scan(&src.ID, &at, &src.StaffID, &files)
	if isNoRows(err) {
		return nil, onedoor.Errorf(onedoor.ENOTFOUND, "No catalog has been imported.")
	}
	if err != nil {
		return nil, internal("read catalog source", err)
	}
	if src.ImportedAt, err = parseTS(at); err != nil {
		return nil, internal("catalog source time", err)
	}
	if err := json.Unmarshal([]byte(files), &src.Files); err != nil {
		return nil, internal("decode catalog source", err)
	}
	return &src, nil
}

// RefreshCatalog adopts the last imported catalog if it is newer than the
// running one: how a node follows an import made through another node.
func (db *DB) RefreshCatalog(ctx context.Context) error {
	var latest int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM catalog_sources`).Scan(&latest); err != nil {
		return internal("catalog sources", err)
	}
	db.catMu.Lock()
	current := db.catSource
	db.catMu.Unlock()
	if latest <= current {
		return nil
	}
	src, err := db.LatestCatalogSource(ctx)
	if err != nil {
		return err
	}
	cat, err := catalog.LoadFiles(src.Files)
	if err != nil {
		return fmt.Errorf("sqldb: imported catalog %d no longer loads: %w", src.ID, err)
	}
	db.UseCatalog(cat, src.ID)
	db.log.Info("adopted the catalog imported on another node", "source", src.ID, "matters", len(cat.Latest()))
	return nil
}

// FollowCatalog refreshes the running catalog every interval until ctx
// ends.
func (db *DB) FollowCatalog(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := db.RefreshCatalog(ctx); err != nil && ctx.Err() == nil {
				db.log.Error("follow the imported catalog", "err", err)
			}
		}
	}
}

// importCatalog records every version of cat; it returns how many were
// new.
func (tx *Tx) importCatalog(cat *catalog.Catalog, now string) (int, error) {
	for _, d := range cat.Departments {
		if err := tx.upsertDef(`departments`, d.Code, d); err != nil {
			return 0, err
		}
	}
	for _, l := range cat.LicenceTypes {
		if err := tx.upsertDef(`licence_types`, l.Code, l); err != nil {
			return 0, err
		}
	}
	added := 0
	for i := range cat.Matters {
		m := &cat.Matters[i]
		n, err := tx.insertVersion(`matters`, m.Code, m.Version, m, func(def string) error {
			_, err := tx.ExecContext(tx.ctx, `INSERT INTO matters (code, version, subject, department, definition, loaded_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				m.Code, m.Version, string(m.Subject), m.Department, def, now)
			return err
		})
		if err != nil {
			return 0, err
		}
		added += n
	}
	for i := range cat.Bundles {
		b := &cat.Bundles[i]
		n, err := tx.insertVersion(`bundles`, b.Code, b.Version, b, func(def string) error {
			_, err := tx.ExecContext(tx.ctx, `INSERT INTO bundles (code, version, definition, loaded_at) VALUES ($1, $2, $3, $4)`, b.Code, b.Version, def, now)
			return err
		})
		if err != nil {
			return 0, err
		}
		added += n
	}
	return added, nil
}

func (tx *Tx) upsertDef(table, code string, v any) error {
	def, err := json.Marshal(v)
	if err != nil {
		return internal("marshal "+table, err)
	}
	_, err = tx.ExecContext(tx.ctx, `INSERT INTO `+table+` (code, definition) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET definition = excluded.definition`, code, string(def))
	return internal("upsert "+table, err)
}

// insertVersion inserts a versioned definition unless recorded; a recorded
// version must be identical.
func (tx *Tx) insertVersion(table, code string, version int, v any, insert func(def string) error) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, internal("marshal "+table, err)
	}
	def := string(b)
	var have string
	err = tx.QueryRowContext(tx.ctx, `SELECT definition FROM `+table+` WHERE code = $1 AND version = $2`, code, version).Scan(&have)
	switch {
	case err == nil:
		if have != def {
			return 0, onedoor.Errorf(onedoor.ECONFLICT, "%s version %d is already recorded with a different definition; give the changed definition a new version.", code, version)
		}
		return 0, nil
	case isNoRows(err):
		if err := insert(def); err != nil {
			return 0, internal(fmt.Sprintf("insert %s %s v%d", table, code, version), err)
		}
		return 1, nil
	default:
		return 0, internal("read "+table, err)
	}
}

// MatterVersion is a recorded version of a matter — the definition a case
// was accepted under —: from the running catalog, or as recorded when the
// running catalog no longer holds it; ENOTFOUND if it was never recorded.
func (db *DB) MatterVersion(code string, version int) (*onedoor.Matter, error) {
	return db.matter(code, version)
}
