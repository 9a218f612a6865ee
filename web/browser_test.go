package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless chromium with a fresh profile, or skips the
// test where there is none (outside CI; under CI a missing browser fails).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: %v; .ci/run installs it (apt-get install chromium)", chromiumPath, err)
		}
		t.Skipf("no %s: the browser tests need Debian's chromium", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// scenario runs browser steps with a deadline, failing the test on error.
type scenario struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// newScenario saves its screenshots in a temporary directory, or in
// PROBITY_SCREENSHOT_DIR to keep them.
func newScenario(t *testing.T, ctx context.Context, f *fixture) *scenario {
	s := &scenario{t: t, ctx: ctx, base: f.url, dir: t.TempDir()}
	if keep := os.Getenv("PROBITY_SCREENSHOT_DIR"); keep != "" {
		s.dir = keep
	}
	return s
}

func (s *scenario) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		page, _ := chromedp.Run(s.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		loc, _ := chromedp.Run(s.ctx, chromedp.Location())
		s.t.Fatalf("%s: %v; at %s, the page shows:\n%s", what, err, loc, page)
	}
}

func (s *scenario) text(sel string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		s.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// screenshot saves the whole page as a PNG in the test's directory.
func (s *scenario) screenshot(name string) string {
	s.t.Helper()
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(s.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot: %s", path)
	return path
}

// atWidth shows the page at width (a phone's, emulated as one, below
// 600 px), reloaded, once sel is visible; saves a screenshot named for it
// and the width; and fails the test if anything runs off the right edge:
// the page must reflow rather than scroll sideways.
func (s *scenario) atWidth(name string, width int64, sel string) {
	s.t.Helper()
	resize := chromedp.EmulateViewport(width, 900)
	if width < 600 {
		resize = chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile)
	}
	s.do(fmt.Sprintf("%dpx wide", width), resize, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(sel)))
	s.screenshot(fmt.Sprintf("%s-%d", name, width))
	w, err := chromedp.Run(s.ctx, chromedp.Evaluate[int64]("document.documentElement.scrollWidth"))
	if err != nil || w > width {
		s.t.Errorf("%s at %dpx is %dpx wide (%v): it does not reflow", name, width, w, err)
	}
}

// onPhone shows the page at a phone's width (390px), then the desktop's.
func (s *scenario) onPhone() {
	s.t.Helper()
	s.atWidth("phone", 390, "main")
	s.do("desktop width", chromedp.EmulateViewport(1100, 900))
}

// signIn signs out whoever is signed in, then signs in with a token typed
// into the form, as a person would.
func (s *scenario) signIn(token, landing string) {
	s.t.Helper()
	s.do("sign in",
		chromedp.Navigate(s.base+"/signin"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.CSS(landing)),
	)
}

func (s *scenario) signOut() {
	s.t.Helper()
	s.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS(`header a[href="/signin"]`)))
}

// TestBrowser walks through due process in a real browser: a subject signs
// in, sees their score, disputes an entry and sees the score change; a
// reviewer upholds the dispute; the subject sees the outcome; an auditor
// runs the verification. Screenshots go to a temporary directory, or to
// PROBITY_SCREENSHOT_DIR to keep them; PROBITY_PORTAL_SCREENSHOT=docs/portal.png
// saves the portal's picture for the README.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	f := start(t)
	s := newScenario(t, ctx, f)
	const score = `[id="score-acme.lending"] .value`

	s.signIn(f.subject, score)
	before, err := strconv.Atoi(s.text(score))
	if err != nil {
		t.Fatalf("score shown: %v", err)
	}
	portal := s.screenshot("1-portal")
	if out := os.Getenv("PROBITY_PORTAL_SCREENSHOT"); out != "" {
		buf, _ := os.ReadFile(portal)
		if err := os.WriteFile(out, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	late := `form.dispute:has(input[name="key"][value="late-1"])`
	s.do("dispute the late payment",
		chromedp.SendKeys(chromedp.CSS(late+` input[name="reason"]`), "I paid on time; my bank statement shows it"),
		chromedp.Click(chromedp.CSS(late+` button`)),
		chromedp.WaitVisible(chromedp.CSS(".done")),
	)
	after, err := strconv.Atoi(s.text(score))
	if err != nil || after <= before {
		t.Fatalf("score after the dispute = %d (%v), before %d: want higher, the entry no longer counting", after, err, before)
	}
	if got := s.text(".dispute-open strong"); got != "open" {
		t.Fatalf("dispute status shown = %q, want open", got)
	}
	s.screenshot("2-disputed")
	s.signOut()

	s.signIn(f.reviewer, "table.queue")
	s.screenshot("3-queue")
	s.do("uphold the dispute",
		chromedp.Click(chromedp.CSS(`table.queue input[value="upheld"]`)),
		chromedp.SendKeys(chromedp.CSS(`table.queue textarea[name="reason"]`), "bank statement checked: paid on day 2"),
		chromedp.Click(chromedp.CSS(`table.queue button`)),
		chromedp.WaitVisible(chromedp.CSS(".done")),
	)
	s.signOut()

	s.signIn(f.subject, score)
	if got := s.text(".dispute-upheld"); !strings.Contains(got, "upheld") || !strings.Contains(got, "paid on day 2") {
		t.Fatalf("the subject sees %q, want the dispute upheld with the reviewer's reason", got)
	}
	s.screenshot("4-outcome")
	s.onPhone()
	s.signOut()

	s.signIn(f.audr, "#verify")
	s.do("run the verification", chromedp.Click(chromedp.ID("verify")), chromedp.WaitVisible(chromedp.ID("verdict")))
	if got := s.text("#verdict"); !strings.HasPrefix(got, "Verified: no problem") {
		t.Fatalf("verification shows %q", got)
	}
	s.screenshot("5-verified")
}

// TestBrowserUpload sends a file through the console's upload form, whose
// script shows the progress and then the report of every line in place.
func TestBrowserUpload(t *testing.T) {
	ctx := newBrowser(t)
	f := start(t)
	s := newScenario(t, ctx, f)
	file := filepath.Join(t.TempDir(), "events.ndjson")
	content := `{"key":"up-1","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-05-01","fields":{"amount":100}}
{"key":"up-2","type":"loan_repaid","subject":"` + alice + `","occurred_at":"2025-05-01","fields":{"amount":"lots"}}
`
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	s.signIn(f.reporter, "form.upload")
	s.do("upload",
		chromedp.SetUploadFiles(chromedp.CSS(`form.upload input[type="file"]`), []string{file}),
		chromedp.Click(chromedp.CSS(`form.upload input[name="skip_invalid"]`)),
		chromedp.Click(chromedp.CSS(`form.upload button`)),
		chromedp.WaitVisible(chromedp.ID("summary")),
	)
	if got := s.text("#accepted"); got != "1" {
		t.Fatalf("accepted = %q, want 1", got)
	}
	if got := s.text("table.errors tbody"); !strings.Contains(got, "2") || !strings.Contains(got, "amount") {
		t.Fatalf("refused lines = %q, want line 2 and its amount", got)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || loc != f.url+"/console" {
		t.Fatalf("location after the upload = %q (%v): want the console, the report shown in place by the script", loc, err)
	}
	s.screenshot("upload")
}
