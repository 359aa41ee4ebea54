package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"onedoor/audit"
)

// checkpointLog appends every signed checkpoint the store makes to a file
// outside the database, one JSON line each (audit.LogEntry), so that
// `onedoor audit verify` can hold the chain to checkpoints an attacker with
// the database alone cannot delete. The file is only ever appended to; ship
// it off the machine (or use the webhook) to put it out of reach of
// whoever controls this one.
//
// The store calls append from its writer goroutine, one checkpoint at a
// time; several processes on one data folder may append to the same file,
// each line going out in one write.
type checkpointLog struct {
	path string
	pub  ed25519.PublicKey
}

// append writes c as one line and makes it durable. The file is opened for
// each checkpoint (about one a second at most), so a log moved aside is
// followed by a new one at the configured path.
func (l *checkpointLog) append(c audit.Checkpoint) error {
	line, err := audit.LogLine(c, l.pub)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(l.path), 0o700); err == nil {
			f, err = os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
		}
	}
	if err != nil {
		return fmt.Errorf("checkpoint log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if size := info.Size(); size > 0 {
		// A crash in the middle of a write leaves a torn last line: end it,
		// so that it stays one bad line instead of spoiling this one too.
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err != nil {
			f.Close()
			return fmt.Errorf("checkpoint log: %w", err)
		}
		if last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if info.Size() == 0 {
		// A new file: make its directory entry durable too.
		if err := syncDir(filepath.Dir(l.path)); err != nil {
			return fmt.Errorf("checkpoint log: %w", err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
