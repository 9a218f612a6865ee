package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/probity-dev/probity"
	"github.com/probity-dev/probity/client"
	"github.com/probity-dev/probity/statement"
)

// StatementCommand gets, presents and verifies statements of standing:
// the subject's side (issue, present, revoke) talks to a server through
// the API's client; the verifier's side (verify) needs only the issuer's
// public URL.
type StatementCommand struct{ m *Main }

const statementUsage = `Usage:

  probity statement issue   --url URL --token-file F --domain D [--key holder.jwk] [--claims c,...] [--validity 30d] [--out S]
  probity statement present --key holder.jwk --reveal grade,as_of,domain --aud WHO --nonce N [--out P] STATEMENT
  probity statement revoke  --url URL --token-file F --domain D ID
  probity statement verify  [--aud WHO --nonce N] [--issuer URL] [--json] PRESENTATION

A statement of standing is an SD-JWT VC the installation signs about a
subject's standing in one domain (domain, spec_version, status, grade,
score, as_of, subject), each claim selectively disclosable, bound to a key
the subject holds.

issue asks the server for one with the subject's token (a subject token
file) and keeps the holder's key in --key (created, mode 0600, when
missing). present keeps only the claims in --reveal and signs the
presentation for the verifier's audience and nonce with that key. verify
checks a presentation: the issuer's signature (keys from URL/.well-known/
jwt-vc-issuer; --issuer defaults to the statement's own iss, which you
should only trust if you know it), the disclosures, the holder's
signature, the expiry and the status list; it prints the claims revealed.
`

// Run dispatches to the statement's subcommands.
func (c *StatementCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.m.Stderr, statementUsage)
		return errUsage
	}
	switch args[0] {
	case "issue":
		return c.issue(ctx, args[1:])
	case "present":
		return c.present(args[1:])
	case "revoke":
		return c.revoke(ctx, args[1:])
	case "verify":
		return c.verify(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.m.Stdout, statementUsage)
		return nil
	}
	return fmt.Errorf("statement: unknown subcommand %q; want issue, present, revoke or verify", args[0])
}

// subjectClient is the API's client for a subject's token kept in a file.
func subjectClient(url, tokenFile string) (*client.Client, error) {
	if url == "" || tokenFile == "" {
		return nil, errors.New("--url and --token-file are required: the server's URL and a file holding your subject token")
	}
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, fmt.Errorf("--token-file: %v", err)
	}
	return client.New(url, strings.TrimSpace(string(tok))), nil
}

func (c *StatementCommand) issue(ctx context.Context, args []string) error {
	fs := newFlagSet("statement issue", statementUsage, c.m.Stdout)
	url := fs.String("url", "", "the server's URL")
	tokenFile := fs.String("token-file", "", "a file holding your subject token")
	domain := fs.String("domain", "", "the domain whose standing the statement tells")
	keyFile := fs.String("key", "holder.jwk", "your key (created if missing): presentations are signed with it")
	claims := fs.String("claims", "", "the claims it holds, comma-separated (default all: "+strings.Join(probity.StatementClaims, ",")+")")
	validity := fs.String("validity", "", "how long it is valid, e.g. 30d (default the domain's most)")
	out := fs.String("out", "", "write the statement to this file (default standard output)")
	if rest, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("statement issue: unexpected argument %q", rest[0])
	}
	if *domain == "" {
		return errors.New("statement issue: --domain is required")
	}
	api, err := subjectClient(*url, *tokenFile)
	if err != nil {
		return fmt.Errorf("statement issue: %w", err)
	}
	key, err := holderKey(*keyFile, true)
	if err != nil {
		return err
	}
	pub := jose.JSONWebKey{Key: key.Public()}
	raw, _ := pub.MarshalJSON()
	var jwk map[string]any
	json.Unmarshal(raw, &jwk)
	req := probity.StatementRequest{Domain: *domain, Validity: *validity, HolderKey: jwk}
	if *claims != "" {
		req.Claims = strings.Split(*claims, ",")
	}
	st, err := api.IssueStatement(ctx, req)
	if err != nil {
		return fmt.Errorf("statement issue: %w", err)
	}
	if err := c.writeOut(*out, st.SDJWT+"\n"); err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stderr, "statement %s of %s, valid until %s, bound to the key in %s\n", st.ID, st.Domain, st.ExpiresAt.Format(time.RFC3339), *keyFile)
	return nil
}

func (c *StatementCommand) present(args []string) error {
	fs := newFlagSet("statement present", statementUsage, c.m.Stdout)
	keyFile := fs.String("key", "holder.jwk", "your key, which the statement is bound to")
	reveal := fs.String("reveal", "", "the claims to reveal, comma-separated, e.g. grade,as_of,domain")
	aud := fs.String("aud", "", "who the presentation is for (the verifier says)")
	nonce := fs.String("nonce", "", "the verifier's nonce")
	out := fs.String("out", "", "write the presentation to this file (default standard output)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || *reveal == "" || *aud == "" || *nonce == "" {
		return errors.New("statement present: give --reveal, --aud, --nonce and the statement's file")
	}
	sdjwt, err := os.ReadFile(rest[0])
	if err != nil {
		return err
	}
	key, err := holderKey(*keyFile, false)
	if err != nil {
		return err
	}
	p, err := statement.Present(strings.TrimSpace(string(sdjwt)), strings.Split(*reveal, ","), key, jose.EdDSA, *aud, *nonce, time.Now())
	if err != nil {
		return fmt.Errorf("statement present: %w", err)
	}
	return c.writeOut(*out, p+"\n")
}

func (c *StatementCommand) revoke(ctx context.Context, args []string) error {
	fs := newFlagSet("statement revoke", statementUsage, c.m.Stdout)
	url := fs.String("url", "", "the server's URL")
	tokenFile := fs.String("token-file", "", "a file holding your subject token")
	domain := fs.String("domain", "", "the statement's domain")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || *domain == "" {
		return errors.New("statement revoke: give --domain and the statement's id")
	}
	api, err := subjectClient(*url, *tokenFile)
	if err != nil {
		return fmt.Errorf("statement revoke: %w", err)
	}
	if err := api.RevokeStatement(ctx, *domain, rest[0]); err != nil {
		return fmt.Errorf("statement revoke: %w", err)
	}
	fmt.Fprintf(c.m.Stdout, "statement %s of %s revoked: its status list says so from now on\n", rest[0], *domain)
	return nil
}

func (c *StatementCommand) verify(args []string) error {
	fs := newFlagSet("statement verify", statementUsage, c.m.Stdout)
	issuer := fs.String("issuer", "", "the issuer's URL, whose /.well-known/jwt-vc-issuer has its keys (default the statement's iss)")
	aud := fs.String("aud", "", "the audience you asked the holder to sign for")
	nonce := fs.String("nonce", "", "the nonce you gave the holder")
	jsonOut := fs.Bool("json", false, "print JSON")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("statement verify: give the presentation's file (and --aud and --nonce, what you asked the holder to sign for)")
	}
	raw, err := os.ReadFile(rest[0])
	if err != nil {
		return err
	}
	p := strings.TrimSpace(string(raw))
	if *issuer == "" {
		if *issuer, err = claimedIssuer(p); err != nil {
			return fmt.Errorf("statement verify: %w", err)
		}
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	keys, err := issuerKeys(hc, *issuer)
	if err != nil {
		return fmt.Errorf("statement verify: %w", err)
	}
	v, err := statement.Verify(p, statement.Options{Keys: keys, Audience: *aud, Nonce: *nonce, Now: time.Now(),
		Status: func(uri string) (string, error) {
			if !strings.HasPrefix(uri, strings.TrimRight(*issuer, "/")+"/") {
				return "", fmt.Errorf("the status list %s is not the issuer's", uri)
			}
			return fetch(hc, uri)
		}})
	if err != nil {
		return fmt.Errorf("statement verify: NOT VALID: %w", err)
	}
	if *jsonOut {
		return printJSON(c.m.Stdout, v)
	}
	fmt.Fprintf(c.m.Stdout, "VALID: issued by %s on %s, valid until %s, not revoked, presented by its holder\n", v.Issuer,
		v.IssuedAt.Format(time.DateOnly), v.ExpiresAt.Format(time.DateOnly))
	if *aud == "" || *nonce == "" {
		fmt.Fprintln(c.m.Stdout, "  (no --aud or --nonce: whom it was presented to, and when, was not checked; a replayed copy would pass too)")
	}
	for _, name := range probity.StatementClaims {
		if val, ok := v.Claims[name]; ok {
			fmt.Fprintf(c.m.Stdout, "  %-12s %v\n", name, val)
		}
	}
	return nil
}

// claimedIssuer reads the iss a statement claims, unverified.
func claimedIssuer(p string) (string, error) {
	jwt, _, _, err := statement.Split(p)
	if err != nil {
		return "", err
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", errors.New("not a statement: its first part is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var payload struct{ Iss string }
	if err := json.Unmarshal(raw, &payload); err != nil || payload.Iss == "" {
		return "", errors.New("the statement names no issuer; give --issuer")
	}
	return payload.Iss, nil
}

// issuerKeys fetches an issuer's keys from its JWT VC issuer metadata.
func issuerKeys(hc *http.Client, issuer string) (jose.JSONWebKeySet, error) {
	var meta struct {
		Issuer string             `json:"issuer"`
		JWKS   jose.JSONWebKeySet `json:"jwks"`
	}
	body, err := fetch(hc, strings.TrimRight(issuer, "/")+"/.well-known/jwt-vc-issuer")
	if err != nil {
		return meta.JWKS, err
	}
	if err := json.Unmarshal([]byte(body), &meta); err != nil {
		return meta.JWKS, fmt.Errorf("the issuer's metadata: %v", err)
	}
	return meta.JWKS, nil
}

func fetch(hc *http.Client, url string) (string, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// holderKey reads the holder's Ed25519 key from a JWK file, creating it
// (mode 0600) when create is set and the file is missing.
func holderKey(path string, create bool) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		buf, _ := (&jose.JSONWebKey{Key: key}).MarshalJSON()
		dir, name := filepath.Split(path)
		if dir == "" {
			dir = "."
		}
		if _, err := writePrivate(dir, name, string(buf)+"\n"); err != nil {
			return nil, fmt.Errorf("--key: %v", err)
		}
		return key, nil
	} else if err != nil {
		return nil, fmt.Errorf("--key: %v", err)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("--key %s: not a JWK: %v", path, err)
	}
	key, ok := jwk.Key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("--key %s: not an Ed25519 private key", path)
	}
	return key, nil
}

// writeOut writes s to path, or to standard output when path is "".
func (c *StatementCommand) writeOut(path, s string) error {
	if path == "" {
		_, err := io.WriteString(c.m.Stdout, s)
		return err
	}
	return os.WriteFile(path, []byte(s), 0o600)
}
