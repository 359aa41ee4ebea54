package sqldb

import (
	"context"
	"encoding/json"
	"fmt"

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
		added = 0
		now := ts(db.now())
		for _, d := range cat.Departments {
			if err := tx.upsertDef(`departments`, d.Code, d); err != nil {
				return err
			}
		}
		for _, l := range cat.LicenceTypes {
			if err := tx.upsertDef(`licence_types`, l.Code, l); err != nil {
				return err
			}
		}
		for i := range cat.Matters {
			m := &cat.Matters[i]
			n, err := tx.insertVersion(`matters`, m.Code, m.Version, m, func(def string) error {
				_, err := tx.ExecContext(tx.ctx, `INSERT INTO matters (code, version, subject, department, definition, loaded_at) VALUES ($1, $2, $3, $4, $5, $6)`,
					m.Code, m.Version, string(m.Subject), m.Department, def, now)
				return err
			})
			if err != nil {
				return err
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
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, err
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
