package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onedoor"
	"onedoor/catalog"
	"onedoor/pii"
	"onedoor/sqldb"
)

// config is what every command that opens the store shares: flags first,
// then ONEDOOR_* environment variables, then defaults.
type config struct {
	data        string
	db          string
	addr        string
	keysFile    string
	catalogDir  string
	calendar    string
	logLevel    string
	verifyEvery time.Duration
	webhookURL  string
	// checkpointLog is the append-only file every signed audit checkpoint
	// is published to; empty means DATA/checkpoints.jsonl.
	checkpointLog string
	// checkpointOutboxEvery is how often a checkpoint is also sent through
	// the outbox (to the webhook); 0 never.
	checkpointOutboxEvery time.Duration
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// envDuration reads a duration from the environment; a bad value falls
// back to def.
func envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// bind declares the shared flags on fs.
func (c *config) bind(fs *flag.FlagSet) {
	fs.StringVar(&c.data, "data", env("ONEDOOR_DATA", "./data"), "data folder: SQLite file, secrets, logs (env ONEDOOR_DATA)")
	fs.StringVar(&c.db, "db", env("ONEDOOR_DB", ""), "database: a postgres://… URL, or empty for SQLite in the data folder (env ONEDOOR_DB)")
	fs.StringVar(&c.keysFile, "keys", env("ONEDOOR_KEYS_FILE", ""), "secrets file (env ONEDOOR_KEYS_FILE; default DATA/secrets, generated on first run)")
	fs.StringVar(&c.catalogDir, "catalog", env("ONEDOOR_CATALOG", ""), "catalog folder replacing the built-in catalog (env ONEDOOR_CATALOG)")
	fs.StringVar(&c.calendar, "calendar", env("ONEDOOR_CALENDAR", ""), "local calendar file overriding official holidays (env ONEDOOR_CALENDAR)")
	fs.DurationVar(&c.verifyEvery, "verify-every", envDuration("ONEDOOR_VERIFY_EVERY", time.Hour), "how often the server re-verifies every case, for /metrics; 0 turns it off (env ONEDOOR_VERIFY_EVERY)")
	fs.StringVar(&c.checkpointLog, "checkpoint-log", env("ONEDOOR_CHECKPOINT_LOG", ""), "append-only file every signed audit checkpoint is written to; ship it off the machine (env ONEDOOR_CHECKPOINT_LOG; default DATA/checkpoints.jsonl)")
	fs.DurationVar(&c.checkpointOutboxEvery, "checkpoint-outbox-every", envDuration("ONEDOOR_CHECKPOINT_OUTBOX_EVERY", time.Minute), "how often a signed audit checkpoint is also sent through the outbox (topic audit.checkpoint; to --webhook-url when set); 0 turns it off (env ONEDOOR_CHECKPOINT_OUTBOX_EVERY)")
	fs.StringVar(&c.logLevel, "log-level", env("ONEDOOR_LOG_LEVEL", "info"), "debug, info, warn or error (env ONEDOOR_LOG_LEVEL)")
}

// checkpointLogPath is where signed checkpoints are published.
func (c *config) checkpointLogPath() string {
	if c.checkpointLog != "" {
		return c.checkpointLog
	}
	return filepath.Join(c.data, "checkpoints.jsonl")
}

func (c *config) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// secrets are the keys Onedoor generates on first run and keeps in one
// 0600 file: PII encryption and blind-index keys, the signing key of audit
// checkpoints and e-licences, and the webhook HMAC secret.
type secrets struct {
	pii     pii.Keys
	sign    ed25519.PrivateKey
	webhook []byte
}

// loadSecrets reads the secrets file, creating it with fresh keys when it
// does not exist yet.
func (c *config) loadSecrets(log *slog.Logger) (*secrets, error) {
	path := c.keysFile
	if path == "" {
		path = filepath.Join(c.data, "secrets")
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c.createSecrets(path, log)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().Perm()&0o077 != 0 {
		log.Warn("secrets file is readable by others; chmod 600 it", "path", path)
	}
	s := &secrets{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: a line is not key=value", path)
		}
		switch k {
		case "pii":
			if err := s.pii.UnmarshalText([]byte(v)); err != nil {
				return nil, fmt.Errorf("%s: pii: %w", path, err)
			}
		case "sign":
			seed, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(seed) != ed25519.SeedSize {
				return nil, fmt.Errorf("%s: sign: not a base64 ed25519 seed", path)
			}
			s.sign = ed25519.NewKeyFromSeed(seed)
		case "webhook":
			if s.webhook, err = base64.StdEncoding.DecodeString(v); err != nil {
				return nil, fmt.Errorf("%s: webhook: not base64", path)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if s.sign == nil || len(s.webhook) == 0 {
		return nil, fmt.Errorf("%s: sign and webhook keys are required", path)
	}
	return s, nil
}

func (c *config) createSecrets(path string, log *slog.Logger) (*secrets, error) {
	keys, err := pii.GenerateKeys()
	if err != nil {
		return nil, err
	}
	_, sign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	webhook := make([]byte, 32)
	if _, err := rand.Read(webhook); err != nil {
		return nil, err
	}
	text, err := keys.MarshalText()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	body := "# Onedoor secrets. Keep this file safe and backed up apart from the database:\n" +
		"# without it the ID and phone numbers in the database cannot be read.\n" +
		"pii=" + string(text) + "\n" +
		"sign=" + base64.StdEncoding.EncodeToString(sign.Seed()) + "\n" +
		"webhook=" + base64.StdEncoding.EncodeToString(webhook) + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	log.Info("generated new secrets", "path", path)
	return &secrets{pii: keys, sign: sign, webhook: webhook}, nil
}

// openStore opens the database with the catalog recorded, logging every
// default it used.
func (c *config) openStore(ctx context.Context, log *slog.Logger) (*sqldb.DB, *secrets, error) {
	if _, err := os.Stat(c.data); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(c.data, 0o700); err != nil {
			return nil, nil, err
		}
		log.Info("created data folder", "path", c.data)
	}
	sec, err := c.loadSecrets(log)
	if err != nil {
		return nil, nil, err
	}
	cal, err := loadCalendar(c.calendar)
	if err != nil {
		return nil, nil, err
	}
	cat := catalog.Builtin()
	if c.catalogDir != "" {
		if cat, err = catalog.LoadDir(c.catalogDir); err != nil {
			return nil, nil, err
		}
	} else {
		log.Info("using the built-in catalog", "matters", len(cat.Latest()), "bundles", len(cat.LatestBundles()))
	}
	dsn := c.db
	if dsn == "" {
		dsn = filepath.Join(c.data, "onedoor.db")
		log.Info("using embedded SQLite", "path", dsn)
	}
	ckLog := &checkpointLog{path: c.checkpointLogPath(), pub: sec.sign.Public().(ed25519.PublicKey)}
	db, err := sqldb.Open(ctx, sqldb.Config{DSN: dsn, Keys: sec.pii, Sign: sec.sign, Calendar: cal, Catalog: cat, Logger: log,
		OnCheckpoint: ckLog.append, CheckpointOutboxEvery: c.checkpointOutboxEvery})
	if err != nil {
		return nil, nil, err
	}
	log.Info("signed audit checkpoints are appended to the checkpoint log; keep a copy off this machine",
		"path", ckLog.path, "outbox_every", c.checkpointOutboxEvery)
	n, err := db.ImportCatalog(ctx, cat)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if n > 0 {
		log.Info("recorded new catalog versions", "count", n)
	}
	if err := adoptImported(ctx, db, n, log); err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, sec, nil
}

// adoptImported runs the catalog an administrator last imported instead of
// the configured one — unless the configured catalog has just brought new
// versions (an upgrade, or an edited --catalog folder), which makes it the
// newer of the two.
func adoptImported(ctx context.Context, db *sqldb.DB, configuredAdded int, log *slog.Logger) error {
	src, err := db.LatestCatalogSource(ctx)
	switch {
	case onedoor.ErrorCode(err) == onedoor.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case configuredAdded > 0:
		log.Warn("the configured catalog brought new versions and runs; the catalog imported earlier is set aside (import it again to run it)",
			"imported", src.ImportedAt.Format(time.RFC3339), "by_staff", src.StaffID)
		return nil
	}
	cat, err := catalog.LoadFiles(src.Files)
	if err != nil {
		log.Error("the imported catalog no longer loads; running the configured one", "source", src.ID, "err", err)
		return nil
	}
	db.UseCatalog(cat, src.ID)
	log.Info("running the catalog imported by an administrator", "imported", src.ImportedAt.Format(time.RFC3339),
		"by_staff", src.StaffID, "matters", len(cat.Latest()), "bundles", len(cat.LatestBundles()))
	return nil
}
