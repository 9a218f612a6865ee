package identity

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/probity-dev/probity"
)

// MasterKeyFile is the name of the master key file inside the data directory.
const MasterKeyFile = "master.key"

// MasterKeySize is the length of the master key in bytes.
const MasterKeySize = 32

// LoadOrCreateMasterKey returns the installation's master key, kept hex-encoded
// in dir/master.key. On first use it creates dir (mode 0700) if missing and
// the file with 32 random bytes (mode 0600). The key is the root of every
// pseudonym: losing or replacing it makes every stored record unreachable, so
// a file that is unreadable, of the wrong length or readable by other users
// is an error naming the file and the fix, never a reason to make a new key.
func LoadOrCreateMasterKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, MasterKeyFile)
	key, err := readMasterKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	return createMasterKey(dir, path)
}

func readMasterKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("master key %s is not a regular file", path)
	}
	// Windows has no Unix permission bits; its ACLs are the operator's job.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("master key %s has mode %#o, so other users can read it; restrict it with: chmod 600 %s",
			path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4*MasterKeySize))
	if err != nil {
		return nil, fmt.Errorf("master key %s: %w", path, err)
	}
	text := strings.TrimSpace(string(b))
	key, err := hex.DecodeString(text)
	if err != nil || len(key) != MasterKeySize {
		return nil, fmt.Errorf("master key %s: want %d hex characters (a %d-byte key), got %d characters%s; "+
			"restore the file from a backup (a new key would make every stored record unreachable)",
			path, 2*MasterKeySize, MasterKeySize, len(text), notHex(err))
	}
	return key, nil
}

func notHex(err error) string {
	if err != nil {
		return " that are not all hex digits"
	}
	return ""
}

func createMasterKey(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readMasterKey(path) // another process created it first
	} else if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("master key %s: %w", path, err)
	}
	return key, nil
}

// pseudonymInfo prefixes the HKDF info of every domain key; the version lets
// a future derivation coexist with this one.
const pseudonymInfo = "probity/pseudonym/v1/"

// KeyRing derives per-domain keys from the master key and computes
// pseudonyms with them. It is safe for concurrent use, and cheap on the hot
// path: each domain's key is derived once and its HMAC state reused.
type KeyRing struct {
	master  []byte
	domains sync.Map // domain name -> *domainKey
}

type domainKey struct {
	key     []byte
	hashers sync.Pool // of *pseudonymHasher keyed with key
}

type pseudonymHasher struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewKeyRing returns a key ring over a copy of master. It panics if master is
// shorter than MasterKeySize: a short master key would make every pseudonym
// guessable, and it can only come from a programming error.
func NewKeyRing(master []byte) *KeyRing {
	if len(master) < MasterKeySize {
		panic(fmt.Sprintf("identity: master key is %d bytes, want at least %d", len(master), MasterKeySize))
	}
	return &KeyRing{master: bytes.Clone(master)}
}

// DomainKey returns (a copy of) the 32-byte key of a domain:
// HKDF-SHA256(master, info "probity/pseudonym/v1/"+domain).
func (k *KeyRing) DomainKey(domain string) []byte {
	return bytes.Clone(k.domain(domain).key)
}

// Pseudonym returns HMAC-SHA256(domain key, s.String()), what the store keeps
// instead of the subject's identifier. The same subject has the same
// pseudonym in one domain and unrelated pseudonyms in two domains.
func (k *KeyRing) Pseudonym(domain string, s probity.Subject) probity.Pseudonym {
	d := k.domain(domain)
	h := d.hashers.Get().(*pseudonymHasher)
	h.buf = append(append(append(h.buf[:0], s.Scheme...), ':'), s.Value...)
	h.mac.Write(h.buf)
	h.mac.Sum(h.sum[:0])
	h.mac.Reset()
	p := probity.Pseudonym(h.sum)
	d.hashers.Put(h)
	return p
}

func (k *KeyRing) domain(domain string) *domainKey {
	if d, ok := k.domains.Load(domain); ok {
		return d.(*domainKey)
	}
	key, err := hkdf.Key(sha256.New, k.master, nil, pseudonymInfo+domain, 32)
	if err != nil {
		panic("identity: " + err.Error()) // only for lengths that are constant here
	}
	d := &domainKey{key: key}
	d.hashers.New = func() any { return &pseudonymHasher{mac: hmac.New(sha256.New, key)} }
	actual, _ := k.domains.LoadOrStore(domain, d)
	return actual.(*domainKey)
}
