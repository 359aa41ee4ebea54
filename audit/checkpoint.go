package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"time"
)

// CheckpointEncoding names the encoding of the message a Checkpoint signs.
const CheckpointEncoding = "onedoor-checkpoint-v1"

// Checkpoint seals the chain head: the event with sequence number Seq had
// hash Hash at time At, signed with ed25519 by a key kept outside the
// database. Anyone rewriting events at or before Seq must rewrite Hash too,
// and cannot sign the new one without the key.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	Signature string    `json:"signature"` // base64 (standard encoding) ed25519 signature
}

// SignCheckpoint returns the checkpoint for the event seq whose hash is
// hash, signed with priv.
func SignCheckpoint(priv ed25519.PrivateKey, seq int64, hash string, at time.Time) Checkpoint {
	c := Checkpoint{Seq: seq, Hash: hash, At: at.UTC()}
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, c.message()))
	return c
}

// Verify reports whether c carries a valid signature by pub. A malformed
// key or signature is simply invalid.
func (c Checkpoint) Verify(pub ed25519.PublicKey) bool {
	if len(pub) != ed25519.PublicKeySize { // ed25519.Verify panics on a bad key
		return false
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, c.message(), sig)
}

// message is the signed content: the encoding tag, Seq, Hash and At (UTC),
// length-prefixed like the fields of Hash.
func (c Checkpoint) message() []byte {
	b := make([]byte, 0, 160)
	b = appendField(b, CheckpointEncoding)
	b = appendInt(b, c.Seq)
	b = appendField(b, c.Hash)
	return appendTime(b, c.At)
}
