// Package audit makes the event log tamper-evident and checks it.
//
// Every event stores the hash of its predecessor (PrevHash) and its own hash
// (Hash), computed by Hash over a canonical, versioned encoding of its
// content. Changing an event breaks its own hash; removing or reordering
// events breaks a link. An attacker who can write the database can still
// rewrite every hash after the event they changed, so the chain head is
// periodically sealed with an ed25519 signature (Checkpoint) made with a key
// kept outside the database; a rewritten chain no longer matches the signed
// head. The same attacker can delete the checkpoints stored with the chain,
// so every checkpoint is also published outside the database, one line of a
// checkpoint log each (LogLine), and LogChecker holds the chain to that copy.
//
// The package is pure: the store computes hashes when it appends events and
// feeds stored events and checkpoints to a Verifier, one at a time, in Seq
// order, so a log of any length is checked in constant memory.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"onedoor"
)

// EventEncoding names the encoding Hash uses. A change to the encoding (a
// new hashed field, a different Command JSON) needs a new name, and
// verification must then know which events use which.
const EventEncoding = "onedoor-event-v1"

// Hash returns the hex SHA-256 of e chained to prevHash, the hash of the
// event before it ("" for the first event).
//
// The hashed content is, in this order: the EventEncoding tag, prevHash,
// CaseID, CaseNumber, Version, Type, Status, Step, At (UTC, RFC 3339 with
// nanoseconds), the canonical JSON of Command (its At in UTC) and StateHash;
// each is prefixed with its length as a 64-bit big-endian integer so that no
// two field lists encode to the same bytes. Integers are in decimal. Seq,
// e.PrevHash and e.Hash are not hashed: order is carried by prevHash, so a
// reordering shows as a broken link rather than as altered content.
//
// Times are hashed as instants: the same moment in another time zone hashes
// the same, but the store must keep At and Command.At to the nanosecond (or
// truncate them before hashing), or stored events no longer verify.
func Hash(prevHash string, e *onedoor.Event) string {
	var stack [1024]byte
	b := stack[:0]
	b = appendField(b, EventEncoding)
	b = appendField(b, prevHash)
	b = appendInt(b, e.CaseID)
	b = appendField(b, e.CaseNumber)
	b = appendInt(b, int64(e.Version))
	b = appendField(b, string(e.Type))
	b = appendField(b, string(e.Status))
	b = appendInt(b, int64(e.Step))
	b = appendTime(b, e.At)
	b = appendBytes(b, commandJSON(e.Command))
	b = appendField(b, e.StateHash)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// commandJSON returns the canonical JSON of c: its encoding/json form with
// At in UTC. encoding/json writes struct fields in declaration order and
// sorts map keys, so equal commands always give equal bytes; TestHashGolden
// pins the bytes so that a change to onedoor.Command which would alter the
// hashes of stored events (a reordered field, a new field without
// omitempty) fails loudly instead of making every stored event "altered".
func commandJSON(c onedoor.Command) []byte {
	c.At = c.At.UTC()
	b, err := json.Marshal(c)
	if err != nil {
		// Only an out-of-range time (a year past 9999) fails; such a command
		// cannot have been stored by Onedoor, so it hashes to a marker that
		// no genuine event produces and verification reports it altered.
		return []byte("!unencodable command: " + err.Error())
	}
	return b
}

func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func appendInt(b []byte, n int64) []byte {
	var num [20]byte
	return appendBytes(b, strconv.AppendInt(num[:0], n, 10))
}

func appendTime(b []byte, t time.Time) []byte {
	var buf [64]byte
	return appendBytes(b, t.UTC().AppendFormat(buf[:0], time.RFC3339Nano))
}
