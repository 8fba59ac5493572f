package runner

import (
	"strings"
	"testing"
)

func TestWriteListFormats(t *testing.T) {
	rules := []ListedRule{{ID: "A-B", Endpoint: "e", Evidence: "doc", Statement: "x MUST y", Specs: []string{"s1", "s2"}}}
	for format, want := range map[string]string{FormatText: "1 rules, 2 specs", FormatJSON: `"id": "A-B"`, FormatYAML: "id: A-B"} {
		var b strings.Builder
		if err := WriteList(&b, rules, format); err != nil || !strings.Contains(b.String(), want) {
			t.Errorf("%s: %v\n%s", format, err, b.String())
		}
	}
	if err := WriteList(&strings.Builder{}, rules, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}
