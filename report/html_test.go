package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/fixtures"
	"github.com/mpsdconf/mpsdconf/internal/outcome"
)

const hostile = "<script>alert(1)</script>"

// htmlFixture is a failed run: a passed, a failed (with a hostile name and response body), a
// skipped and a harness-error spec, with full metadata and a configuration holding secrets.
func htmlFixture(t *testing.T) (types.Report, Summary) {
	t.Helper()
	failed := spec("b fails "+hostile, types.SpecStateFailed, "rule:HQ-PRIVATE-403")
	failed.Failure.Message = "unexpected status\n--- request\nPOST https://mpsd.example/handles/query?private=true\n" +
		"Authorization: XBL3.0 <redacted>\n--- response (0s)\n200 OK\n{\"note\": \"" + hostile + "\"}\n\nExpected 403, got 200"
	failed.Failure.Location = types.CodeLocation{FileName: "/src/suites/handles_query.go", LineNumber: 217}
	unchecked := spec("c no answer", types.SpecStateFailed, "rule:HQ-TAKE-LIMITS")
	unchecked.Failure.Message = outcome.HarnessErrorPrefix + "GET /handles/x: no HTTP response from target: EOF"
	report := types.Report{
		SuiteDescription: "MPSD handles API conformance",
		SpecReports: []types.SpecReport{
			spec("a passes", types.SpecStatePassed, "rule:HQ-TAKE-LIMITS"),
			failed,
			unchecked,
			spec("d skipped", types.SpecStateSkipped, "rule:HQ-NO-INCLUDE"),
		},
	}
	cfg := config.Default()
	cfg.Target, cfg.EmulatorTokenKey = "https://mpsd.example", "key-secret-2"
	cfg.World.Identities = map[string]fixtures.Identity{"user1": {XUID: "2814600000000101", Authorization: "XBL3.0 x=1;auth-secret-3"}}
	started := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	meta := Metadata{RunID: "run-html-1", Target: cfg.Target, HarnessVersion: "v9.9.9", Commit: "abc123def",
		Profile: "strict", LabelFilter: "rule: containsAny HQ-TAKE-LIMITS", RandomSeed: 4242, Procs: 3,
		ContractVersion: 107, Config: cfg.Redacted(), StartedAt: started, Duration: 1500 * time.Millisecond,
		Requests: RequestStats{Requests: 321, Retries: 7, Throttled: 1, RetryWaitSeconds: 2.5}}
	return report, Summarize(meta, report)
}

func renderFixture(t *testing.T) (Summary, string) {
	t.Helper()
	_, s := htmlFixture(t)
	page, err := RenderHTML(s, BuildTrace(s, catalog.Default()))
	if err != nil {
		t.Fatal(err)
	}
	return s, string(page)
}

func TestRenderHTMLEscapesUntrustedText(t *testing.T) {
	_, page := renderFixture(t)
	if strings.Contains(page, hostile) || strings.Contains(strings.ToLower(page), "<script") {
		t.Error("report.html contains a live <script> element from a spec name or response body")
	}
	escaped := "&lt;script&gt;alert(1)&lt;/script&gt;"
	// The name appears in the rule table, the failure details and the matrix; the body once.
	if n := strings.Count(page, escaped); n < 4 {
		t.Errorf("escaped hostile text appears %d times, want the name (3 places) and the body", n)
	}
}

func TestRenderHTMLIsSelfContained(t *testing.T) {
	s, page := renderFixture(t)
	lower := strings.ToLower(page)
	for _, banned := range []string{"<link", "<img", "<iframe", "<object", "<embed", "src=", "@import", "url(", "<base"} {
		if strings.Contains(lower, banned) {
			t.Errorf("report.html contains %q: it must not load anything", banned)
		}
	}
	for _, m := range regexp.MustCompile(`(?i)href\s*=\s*"([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("link %q leaves the page", m[1])
		}
	}
	// The target URL is text (in the metadata and the HTTP transcript), and so are the public
	// pages the rules' sources cite (never links: nothing leaves the page); nothing else is a URL.
	rest := strings.ReplaceAll(page, s.Metadata.Target, "")
	rest = regexp.MustCompile(`https://github\.com/(MicrosoftDocs/xbox-live-docs|microsoft/xbox-live-api)/blob/[0-9a-f]{40}/`).ReplaceAllString(rest, "")
	if i := regexp.MustCompile(`(?i)https?://`).FindStringIndex(rest); i != nil {
		t.Errorf("report.html refers to a URL other than the target: %q", rest[max(0, i[0]-80):min(len(rest), i[1]+80)])
	}
}

func TestRenderHTMLContent(t *testing.T) {
	s, page := renderFixture(t)
	text := htmlText(page)
	wants := []string{
		// verdict and counts
		`class="verdict fail"`, ">FAIL<",
		`<div class="n">4</div><div class="k">specs</div>`,
		`<div class="n">1</div><div class="k">passed</div>`,
		`<div class="n">1</div><div class="k">failed</div>`,
		`<div class="n">1</div><div class="k">skipped</div>`,
		`<div class="n">1</div><div class="k">harness errors</div>`,
		`<div class="n">321</div><div class="k">requests</div>`,
		`<div class="n">7</div><div class="k">retries</div>`,
		// failed and harness-error specs with cause and location
		`id="rule-HQ-PRIVATE-403"`, "Cause: unexpected status", "/src/suites/handles_query.go:217",
		"Cause: harness error: GET /handles/x: no HTTP response from target: EOF",
		"Authorization: XBL3.0 <redacted>", "Expected 403, got 200",
		// metadata
		"run-html-1", "v9.9.9", "abc123def", "https://mpsd.example", "rule: containsAny HQ-TAKE-LIMITS",
		"4242", "107", "strict", "2026-03-04T05:06:07Z", "1.5s",
		`"target": "https://mpsd.example"`, `"xuid": "2814600000000101"`,
	}
	for _, want := range wants {
		if !strings.Contains(page, want) && !strings.Contains(text, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, secret := range []string{"key-secret-2", "auth-secret-3"} {
		if strings.Contains(page, secret) {
			t.Errorf("report.html contains the secret %q", secret)
		}
	}
	// The order of the sections.
	last := -1
	for _, section := range []string{`id="verdict"`, `id="counts"`, `id="rules"`, `id="problems"`, `id="run"`, `id="traceability"`} {
		i := strings.Index(page, section)
		if i <= last {
			t.Errorf("section %s missing or out of order", section)
		}
		last = i
	}
	// The matrix names every catalog rule, with its status.
	matrix := page[strings.Index(page, `id="traceability"`):]
	for _, id := range catalog.Default().IDs() {
		if !strings.Contains(matrix, `href="#rule-`+id+`"`) {
			t.Errorf("traceability matrix lacks rule %s", id)
		}
	}
	if !strings.Contains(matrix, `<span class="badge failed">failed</span>`) || !strings.Contains(matrix, `<span class="badge harness-error">harness-error</span>`) {
		t.Error("traceability matrix lacks rule statuses")
	}
	// Only the two problem transcripts are expanded; passed specs sit in closed <details>.
	if n := strings.Count(page, "<details open>"); n != 2 {
		t.Errorf("%d expanded <details>, want 2 (one per failed or harness-error spec)", n)
	}
	passed := strings.Index(page, "a passes")
	if passed < 0 || strings.LastIndex(page[:passed], "<details>") < strings.LastIndex(page[:passed], "</details>") {
		t.Error("the passed spec is not inside a collapsed <details>")
	}
	if s.Verdict != VerdictFail {
		t.Fatalf("fixture verdict %q", s.Verdict)
	}
}

func TestRenderHTMLVerdicts(t *testing.T) {
	for verdict, want := range map[string]string{VerdictPass: "PASS", VerdictHarness: "HARNESS ERROR"} {
		s := Summary{Verdict: verdict, Metadata: Metadata{RunID: "r"}}
		page, err := RenderHTML(s, BuildTrace(s, catalog.Default()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), `class="verdict `+verdict+`"`) || !strings.Contains(string(page), ">"+want+"<") {
			t.Errorf("verdict %s not shown as %s", verdict, want)
		}
	}
}

func TestRenderHTMLCleanupProblem(t *testing.T) {
	_, s := htmlFixture(t)
	s.Cleanup = Cleanup{Pending: 3, Journal: "/r/journal-run-html-1.jsonl"}
	page, err := RenderHTML(s, BuildTrace(s, catalog.Default()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `id="cleanup"`) || !strings.Contains(string(page), "3 created resources were not cleaned up") {
		t.Error("report.html does not say that the run left resources on the target")
	}
	_, clean := renderFixture(t)
	if strings.Contains(clean, `id="cleanup"`) {
		t.Error("report.html shows a cleanup problem for a run that cleaned up")
	}
}

func TestWriteReportsWritesHTML(t *testing.T) {
	report, s := htmlFixture(t)
	s.Metadata.Config.Proxy = "http://u:proxy-secret-1@proxy:3128"
	s.Metadata.Config = s.Metadata.Config.Redacted()
	dir := t.TempDir()
	if err := WriteReports(dir, report, s); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">FAIL<", "HQ-PRIVATE-403", "run-html-1", "proxy:3128"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("%s lacks %q", HTMLFile, want)
		}
	}
	for _, secret := range []string{"proxy-secret-1", "key-secret-2", "auth-secret-3"} {
		if strings.Contains(string(page), secret) {
			t.Errorf("%s contains the secret %q", HTMLFile, secret)
		}
	}
}

// htmlText strips tags and unescapes the common entities, for checks on rendered text.
func htmlText(page string) string {
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(page, "")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'", "&amp;", "&").Replace(text)
}

// requireTool returns the path of the first of names found in PATH. When none is, the test
// fails if the environment variable env is "1" (CI installs the tool) and is skipped otherwise.
func requireTool(t *testing.T, env string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := strings.Join(names, " or ") + " is not installed (Debian: see .ci/run)"
	if os.Getenv(env) == "1" {
		t.Fatalf("%s, and %s=1 requires it", msg, env)
	}
	t.Skipf("%s; set %s=1 to make this a failure", msg, env)
	return ""
}

func TestHTMLRendersInHeadlessChromium(t *testing.T) {
	browser := requireTool(t, "REQUIRE_BROWSER_TESTS", "chromium", "chromium-browser")
	_, page := renderFixture(t)
	dir := t.TempDir()
	file := filepath.Join(dir, HTMLFile)
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		profile, err := os.MkdirTemp(dir, "profile-")
		if err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-dev-shm-usage", "--user-data-dir=" + profile}, args...)
		cmd := exec.CommandContext(ctx, browser, append(args, "file://"+file)...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, stderr.String())
		}
		return stdout.Bytes()
	}

	dom := string(run("--dump-dom"))
	for _, want := range []string{"FAIL", "HQ-PRIVATE-403", "run-html-1"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM Chromium built lacks %q:\n%.2000s", want, dom)
		}
	}
	if strings.Contains(dom, hostile) {
		t.Error("Chromium parsed a <script> element out of untrusted text")
	}

	shot := filepath.Join(dir, "report.png")
	run("--screenshot="+shot, "--window-size=1280,2000", "--hide-scrollbars")
	raw, err := os.ReadFile(shot)
	if err != nil || len(raw) == 0 {
		t.Fatalf("no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d, want 1280x2000", b.Dx(), b.Dy())
	}
	// The page was really laid out: the red FAIL banner (#cf222e) spans the top of the page.
	if !hasBand(img, 0xcf, 0x22, 0x2e, 400, 800) {
		t.Error("the screenshot shows no red verdict banner in its top 400 rows")
	}
}

// hasBand reports whether one of the top rows of img has at least width pixels of (about) the
// colour r, g, b: a banner, not a badge or a coloured word.
func hasBand(img image.Image, r, g, b uint8, rows, width int) bool {
	bounds := img.Bounds()
	near := func(c uint32, want uint8) bool { d := int(c>>8) - int(want); return d > -12 && d < 12 }
	for y := bounds.Min.Y; y < bounds.Min.Y+rows && y < bounds.Max.Y; y++ {
		n := 0
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if near(cr, r) && near(cg, g) && near(cb, b) {
				n++
			}
		}
		if n >= width {
			return true
		}
	}
	return false
}
