package identity_test

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/identity"
)

func TestLoadOrCreateMasterKey(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data", "nested")
		key, err := identity.LoadOrCreateMasterKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(key), identity.MasterKeySize; got != want {
			t.Fatalf("len(key)=%d, want %d", got, want)
		}
		if runtime.GOOS != "windows" {
			assertMode(t, filepath.Join(dir, identity.MasterKeyFile), 0o600)
			assertMode(t, dir, 0o700|os.ModeDir)
		}
		again, err := identity.LoadOrCreateMasterKey(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, key) {
			t.Fatalf("reloaded key %x, want %x", again, key)
		}
		other, err := identity.LoadOrCreateMasterKey(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(other, key) {
			t.Fatal("two installations got the same master key")
		}
	})
	for _, tt := range []struct {
		name    string
		content string
		mode    os.FileMode
		err     string
	}{
		{name: "ErrLooseMode", content: strings.Repeat("ab", 32) + "\n", mode: 0o644,
			err: "has mode 0644, so other users can read it; restrict it with: chmod 600 "},
		{name: "ErrShort", content: strings.Repeat("ab", 16) + "\n", mode: 0o600,
			err: "want 64 hex characters (a 32-byte key), got 32 characters; restore the file from a backup"},
		{name: "ErrNotHex", content: strings.Repeat("zz", 32), mode: 0o600,
			err: "want 64 hex characters (a 32-byte key), got 64 characters that are not all hex digits"},
		{name: "ErrEmpty", content: "", mode: 0o600,
			err: "want 64 hex characters (a 32-byte key), got 0 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && tt.mode != 0o600 {
				t.Skip("no Unix permission bits")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, identity.MasterKeyFile)
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := identity.LoadOrCreateMasterKey(dir)
			if err == nil {
				t.Fatalf("err=nil, want %q", tt.err)
			}
			if !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err=%q, want it to name %s and say %q", err, path, tt.err)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Fatalf("the key file was changed to %q", got)
			}
		})
	}
}

func assertMode(tb testing.TB, path string, want os.FileMode) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != want {
		tb.Fatalf("mode of %s=%v, want %v", path, got, want)
	}
}

func TestKeyRing(t *testing.T) {
	master := bytes.Repeat([]byte{7}, identity.MasterKeySize)
	ring := identity.NewKeyRing(master)
	alice := mustParse(t, "cn-rid:11010519491231002X")
	bob := mustParse(t, "person:bob")

	t.Run("OKDomainKey", func(t *testing.T) {
		want, err := hkdf.Key(sha256.New, master, nil, "probity/pseudonym/v1/acme.lending", 32)
		if err != nil {
			t.Fatal(err)
		}
		if got := ring.DomainKey("acme.lending"); !bytes.Equal(got, want) {
			t.Fatalf("DomainKey=%x, want %x", got, want)
		}
		ring.DomainKey("acme.lending")[0] ^= 1 // a caller's copy, not the ring's key
		if got := ring.DomainKey("acme.lending"); !bytes.Equal(got, want) {
			t.Fatalf("DomainKey changed to %x after a caller wrote to its copy", got)
		}
	})
	t.Run("OKPseudonym", func(t *testing.T) {
		mac := hmac.New(sha256.New, ring.DomainKey("acme.lending"))
		mac.Write([]byte("cn-rid:11010519491231002X"))
		var want probity.Pseudonym
		copy(want[:], mac.Sum(nil))
		if got := ring.Pseudonym("acme.lending", alice); got != want {
			t.Fatalf("Pseudonym=%v, want %v", got, want)
		}
		if got := identity.NewKeyRing(master).Pseudonym("acme.lending", alice); got != want {
			t.Fatalf("a new ring over the same master key gives %v, want %v", got, want)
		}
	})
	t.Run("OKDomainsSealed", func(t *testing.T) {
		a1, a2 := ring.Pseudonym("acme.lending", alice), ring.Pseudonym("acme.lending", alice)
		if a1 != a2 {
			t.Fatalf("one domain gave %v and %v for one subject", a1, a2)
		}
		if b := ring.Pseudonym("city.water", alice); b == a1 {
			t.Fatalf("two domains gave the same pseudonym %v", b)
		}
		if b := ring.Pseudonym("acme.lending", bob); b == a1 {
			t.Fatalf("two subjects got the same pseudonym %v", b)
		}
		other := identity.NewKeyRing(bytes.Repeat([]byte{8}, identity.MasterKeySize))
		if b := other.Pseudonym("acme.lending", alice); b == a1 {
			t.Fatalf("two master keys gave the same pseudonym %v", b)
		}
	})
	t.Run("OKConcurrent", func(t *testing.T) {
		want := ring.Pseudonym("acme.lending", bob)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				fresh := identity.NewKeyRing(master)
				for range 1000 {
					if got := fresh.Pseudonym("acme.lending", bob); got != want {
						t.Errorf("goroutine %d: Pseudonym=%v, want %v", i, got, want)
						return
					}
				}
			})
		}
		wg.Wait()
	})
	t.Run("ErrShortMaster", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("NewKeyRing accepted a 16-byte master key")
			}
		}()
		identity.NewKeyRing(make([]byte, 16))
	})
}

func mustParse(tb testing.TB, s string) probity.Subject {
	tb.Helper()
	subject, err := identity.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return subject
}

func BenchmarkPseudonym(b *testing.B) {
	ring := identity.NewKeyRing(bytes.Repeat([]byte{7}, identity.MasterKeySize))
	s := mustParse(b, "cn-rid:11010519491231002X")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ring.Pseudonym("acme.lending", s)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := identity.Parse("cn-rid:11010519491231002X"); err != nil {
			b.Fatal(err)
		}
	}
}
