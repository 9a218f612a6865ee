package witness

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testOrigin is shaped like the installation log's origin (DESIGN.md).
const testOrigin = "example.org/probity/_installation"

// cosigner is a cosignature/v1 note.Signer, written from tlog-cosignature
// independently of the package's verifier so the two check each other.
type cosigner struct {
	name string
	priv ed25519.PrivateKey
	now  func() time.Time
}

func newCosigner(tb testing.TB, name string) *cosigner {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return &cosigner{name: name, priv: priv, now: time.Now}
}

func (c *cosigner) Name() string { return c.name }

func (c *cosigner) KeyHash() uint32 {
	h := sha256.Sum256(append([]byte(c.name+"\n\x04"), c.priv.Public().(ed25519.PublicKey)...))
	return binary.BigEndian.Uint32(h[:])
}

func (c *cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	m := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", t, msg)
	return append(binary.BigEndian.AppendUint64(nil, t), ed25519.Sign(c.priv, m)...), nil
}

// vkey is the witness's verifier key as litewitness prints it.
func (c *cosigner) vkey() string {
	return fmt.Sprintf("%s+%08x+%s", c.name, c.KeyHash(),
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, c.priv.Public().(ed25519.PublicKey)...)))
}

// cosign returns c's signature line over the note text of signed.
func (c *cosigner) cosign(tb testing.TB, signed []byte) []byte {
	tb.Helper()
	text, _ := splitNote(signed)
	out, err := note.Sign(&note.Note{Text: string(text)}, c)
	if err != nil {
		tb.Fatal(err)
	}
	_, sigs := splitNote(out)
	return sigs
}

func mustWitness(tb testing.TB, url string, c *cosigner) *Witness {
	tb.Helper()
	w, err := ParseWitness(url + "=" + c.vkey())
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// testLog is a small RFC 6962 tree with a checkpoint key, built with
// golang.org/x/mod/sumdb/tlog.
type testLog struct {
	origin   string
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	hashes   []tlog.Hash
	n        int64
}

func newTestLog(tb testing.TB, origin string, leaves ...string) *testLog {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	l := &testLog{origin: origin, signer: s, verifier: v, vkey: vkey}
	l.append(tb, leaves...)
	return l
}

func (l *testLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *testLog) append(tb testing.TB, leaves ...string) {
	tb.Helper()
	for _, leaf := range leaves {
		hs, err := tlog.StoredHashes(l.n, []byte(leaf), l)
		if err != nil {
			tb.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.n++
	}
}

func (l *testLog) root(tb testing.TB, size int64) tlog.Hash {
	tb.Helper()
	h, err := tlog.TreeHash(size, l)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// checkpoint is the log's signed tlog-checkpoint of its first size leaves:
// origin, size, base64 root, no extension lines.
func (l *testLog) checkpoint(tb testing.TB, size int64) []byte {
	tb.Helper()
	return l.checkpointSignedBy(tb, size, l.signer)
}

func (l *testLog) checkpointSignedBy(tb testing.TB, size int64, s note.Signer) []byte {
	tb.Helper()
	root := l.root(tb, size)
	text := fmt.Sprintf("%s\n%d\n%s\n", l.origin, size, base64.StdEncoding.EncodeToString(root[:]))
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		tb.Fatal(err)
	}
	return signed
}

// proof is the RFC 6962 consistency proof from oldSize to newSize.
func (l *testLog) proof(tb testing.TB, oldSize, newSize int64) [][]byte {
	tb.Helper()
	p, err := tlog.ProveTree(newSize, oldSize, l)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}
