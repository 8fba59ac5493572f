package catalog

import (
	"strings"
	"testing"
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
			"  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s}\n" +
			"  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s}\n", "duplicate ID"},
		"bad evidence":     {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: rumour, source: s}\n", "evidence"},
		"unknown endpoint": {base + "  - {id: A-B, endpoint: nope, statement: x MUST y, evidence: doc, source: s}\n", "unknown endpoint"},
		"no MUST":          {base + "  - {id: A-B, endpoint: e, statement: x should y, evidence: doc, source: s}\n", "MUST form"},
		"lower-case id":    {base + "  - {id: a-b, endpoint: e, statement: x MUST y, evidence: doc, source: s}\n", "ID must look like"},
		"empty source":     {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: ''}\n", "source is empty"},
		"unknown key":      {base + "  - {id: A-B, endpoint: e, statement: x MUST y, evidence: doc, source: s, severity: high}\n", "severity"},
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
