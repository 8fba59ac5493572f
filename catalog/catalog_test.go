package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

func TestEmbeddedCatalogIsValid(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) == 0 {
		t.Fatal("catalog has no rules")
	}
	for _, r := range c.Rules {
		got, ok := c.Rule(r.ID)
		if !ok || got.ID != r.ID {
			t.Errorf("Rule(%q) lookup failed", r.ID)
		}
	}
}

func TestParseRejectsBadCatalogs(t *testing.T) {
	base := "endpoints:\n  - {id: e, method: GET, path: /x}\nrules:\n"
	cases := map[string]struct{ doc, want string }{
		"duplicate id": {base +
			"  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s, evidenceNote: n}\n" +
			"  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s, evidenceNote: n}\n", "duplicate ID"},
		"bad evidence":     {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: rumour, source: s, evidenceNote: n}\n", "evidence"},
		"unknown endpoint": {base + "  - {id: A-B, endpoint: nope, statement: x MUST y, evidence: doc, source: s, evidenceNote: n}\n", "unknown endpoint"},
		"no MUST":          {base + "  - {id: A-B, endpoint: e, statement: x should y, evidence: doc, source: s, evidenceNote: n}\n", "MUST form"},
		"lower-case id":    {base + "  - {id: a-b, endpoint: e, statement: x MUST y, evidence: doc, source: s, evidenceNote: n}\n", "ID must look like"},
		"empty source":     {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: '', evidenceNote: n}\n", "source is empty"},
		"unknown key":      {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s, evidenceNote: n, severity: high}\n", "severity"},
		"no evidence note": {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s}\n", "evidenceNote is empty"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	if f, err := ProfileDocumented.LabelFilter(); err != nil || !strings.Contains(f, "doc") || strings.Contains(f, "inferred") {
		t.Errorf("documented filter = %q, %v", f, err)
	}
	if f, err := ProfileStrict.LabelFilter(); err != nil || f != "" {
		t.Errorf("strict filter = %q, %v", f, err)
	}
	if _, err := Profile("lenient").LabelFilter(); err == nil {
		t.Error("unknown profile accepted")
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	r := Rule{ID: "HQ-TAKE-LIMITS", Endpoint: "handles-query", Evidence: Doc}
	id, ok := RuleIDFromLabels(r.Labels())
	if !ok || id != r.ID {
		t.Fatalf("RuleIDFromLabels(%v) = %q, %v", r.Labels(), id, ok)
	}
}

// The public sources a rule may cite: the reference pages and the official client at the
// commits the contract pins, and the published copies of the pages.
var allowedSourceURLs = []string{
	"https://github.com/MicrosoftDocs/xbox-live-docs/blob/38ab02c97042d783ba41192304c402880f8b1f66/",
	"https://github.com/microsoft/xbox-live-api/blob/dd61050a95039108489b9deef7ba5c0945573850/",
	"https://learn.microsoft.com/",
}

// Files that live outside the repository (the team's shared notes and sample folders); a source
// naming them does not resolve for users of the project. The names are spelt in pieces so that a
// repository-wide grep for stale references finds only real ones.
var outsideSources = []string{"stances" + ".md", "mpsd-contract" + ".md", "trace" + "-samples", "xsapi" + "-samples", ".." + "/shared"}

const contractDoc = "docs/contract.md"

// githubAnchor returns the anchor GitHub gives a Markdown heading: inline links reduced to their
// text, lower case, spaces to '-', every other character that is not a letter, digit, '-' or '_'
// dropped.
func githubAnchor(heading string) string {
	heading = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownAnchors returns the anchors of every ATX heading outside fenced code blocks, with
// GitHub's -1, -2 suffixes for repeated headings.
func markdownAnchors(doc string) map[string]bool {
	heading := regexp.MustCompile(`^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$`)
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, line := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
			continue
		}
		m := heading.FindStringSubmatch(line)
		if inFence || m == nil {
			continue
		}
		a := githubAnchor(m[1])
		if n := seen[a]; n > 0 {
			seen[a] = n + 1
			a = fmt.Sprintf("%s-%d", a, n)
		} else {
			seen[a] = 1
		}
		anchors[a] = true
	}
	return anchors
}

func TestGitHubAnchor(t *testing.T) {
	cases := map[string]string{
		"Appendix: Captured exchanges":            "appendix-captured-exchanges",
		"csv-X49_53-row007":                       "csv-x49_53-row007",
		"saz-x49_mp_cs21-055":                     "saz-x49_mp_cs21-055",
		"POST /handles/{id}":                      "post-handlesid",
		"The `take` parameter":                    "the-take-parameter",
		"Invites to full, closed or missing ones": "invites-to-full-closed-or-missing-ones",
		"See [the pages](https://example.com)":    "see-the-pages",
	}
	for in, want := range cases {
		if got := githubAnchor(in); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", in, got, want)
		}
	}
	got := markdownAnchors("# A\n## A\n```\n# B\n```\n### A ###\n")
	for _, want := range []string{"a", "a-1", "a-2"} {
		if !got[want] {
			t.Errorf("markdownAnchors: missing %q in %v", want, got)
		}
	}
	if got["b"] {
		t.Error("markdownAnchors: a heading inside a code fence was counted")
	}
}

// sourceProblems returns what keeps a rule's source from resolving for a user of the project:
// each "; "-separated reference must start with a pinned public URL or with
// docs/contract.md#<anchor> of an anchor that document has, URLs in explanations must be pinned
// public sources too, and nothing may name files that live outside the repository.
func sourceProblems(r Rule, anchors map[string]bool) []string {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, r.ID+": "+fmt.Sprintf(format, args...))
	}
	allowedURL := func(u string) bool {
		for _, p := range allowedSourceURLs {
			if strings.HasPrefix(u, p) && len(u) > len(p) {
				return true
			}
		}
		return false
	}
	anchorRef := regexp.MustCompile(`^` + regexp.QuoteMeta(contractDoc) + `#([A-Za-z0-9_-]+)$`)
	for _, bad := range outsideSources {
		if strings.Contains(r.Source, bad) {
			report("source names %q, which is not part of the repository: %s", bad, r.Source)
		}
	}
	for _, ref := range strings.Split(r.Source, "; ") {
		ref = strings.TrimSpace(ref)
		head, _, _ := strings.Cut(ref, " ")
		switch {
		case ref == "":
			report("empty reference in source %q", r.Source)
		case strings.HasPrefix(head, contractDoc):
			m := anchorRef.FindStringSubmatch(head)
			if m == nil {
				report("%q must be %s#<anchor>", head, contractDoc)
			} else if !anchors[m[1]] {
				report("%s has no heading with anchor %q", contractDoc, m[1])
			}
		case strings.Contains(head, "://"):
			if !allowedURL(head) {
				report("URL %q is not a pinned reference page, official client file or learn.microsoft.com page", head)
			}
		default:
			report("reference %q starts neither with a public URL nor with %s#<anchor>", ref, contractDoc)
		}
		words := strings.Fields(ref)
		if len(words) < 2 {
			continue
		}
		for _, word := range words[1:] {
			word = strings.Trim(word, `()[]"',`)
			if strings.Contains(word, "://") && !allowedURL(word) {
				report("URL %q in %q is not a pinned public source", word, ref)
			}
		}
	}
	return problems
}

// TestSourcesResolveInsideTheRepository fails when a rule's source cannot be followed by a user of
// the project (see sourceProblems); anchors are computed from the headings of docs/contract.md.
func TestSourcesResolveInsideTheRepository(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(contractDoc)))
	if err != nil {
		t.Fatalf("read the contract document: %v", err)
	}
	anchors := markdownAnchors(string(raw))
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Rules {
		for _, p := range sourceProblems(r, anchors) {
			t.Error(p)
		}
	}
}

func TestSourceProblemsRejectsUnresolvableSources(t *testing.T) {
	anchors := map[string]bool{"every-request": true}
	docs := "https://github.com/MicrosoftDocs/xbox-live-docs/blob/38ab02c97042d783ba41192304c402880f8b1f66/xbox-live-docs-pr/x.md"
	good := []string{
		docs + ` "Section" (why); docs/contract.md#every-request`,
		"https://github.com/microsoft/xbox-live-api/blob/dd61050a95039108489b9deef7ba5c0945573850/Source/a.cpp (reads id)",
		"https://learn.microsoft.com/gaming/x",
	}
	for _, src := range good {
		if p := sourceProblems(Rule{ID: "A-B", Source: src}, anchors); len(p) > 0 {
			t.Errorf("source %q rejected: %v", src, p)
		}
	}
	bad := map[string]string{
		outsideSources[0] + ` "Every request"`:                             "not part of the repository",
		"docs/contract.md#every-request (see " + outsideSources[4] + "/x)": "not part of the repository",
		"docs/contract.md#no-such-heading":                                 "no heading with anchor",
		"docs/contract.md":                                                 "must be docs/contract.md#<anchor>",
		"https://github.com/MicrosoftDocs/xbox-live-docs/blob/main/x.md":   "not a pinned",
		"https://github.com/microsoft/xbox-live-api/blob/dd61050a/x.cpp":   "not a pinned",
		docs + " (see https://example.com/x)":                              "not a pinned public source",
		"features/multiplayer/mpsd/live-mpsd-overview.md":                  "starts neither",
		docs + "; XSAPI multiplayer_service.cpp":                           "starts neither",
		docs + "; ; " + docs:                                               "empty reference",
		outsideSources[2] + " saz-x49_mp_cs21-055":                         "not part of the repository",
	}
	for src, want := range bad {
		p := sourceProblems(Rule{ID: "A-B", Source: src}, anchors)
		if !strings.Contains(strings.Join(p, "\n"), want) {
			t.Errorf("source %q: problems %v, want one mentioning %q", src, p, want)
		}
	}
}
