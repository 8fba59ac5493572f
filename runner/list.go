package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/config"
)

// ListedRule is a catalog rule with the specs that check it under the selected filters.
type ListedRule struct {
	ID        string   `json:"id" yaml:"id"`
	Endpoint  string   `json:"endpoint" yaml:"endpoint"`
	Evidence  string   `json:"evidence" yaml:"evidence"`
	Ambiguous bool     `json:"ambiguous" yaml:"ambiguous"`
	Statement string   `json:"statement" yaml:"statement"`
	Source    string   `json:"source" yaml:"source"`
	Specs     []string `json:"specs" yaml:"specs"`
}

// List formats.
const (
	FormatText = "text"
	FormatJSON = "json"
	FormatYAML = "yaml"
)

// List builds the spec tree without a target and returns every catalog rule that has at least
// one spec selected by the profile and label filter, in catalog order.
func List(cfg config.Config) ([]ListedRule, error) {
	cfg.DryRun = true
	r, err := config.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	summary, err := buildTree(r, true)
	if err != nil {
		return nil, err
	}
	specs := map[string][]string{}
	for _, sp := range summary.Specs {
		if sp.State == "passed" { // in a dry run, "passed" means selected
			specs[sp.Rule] = append(specs[sp.Rule], sp.Name)
		}
	}
	var out []ListedRule
	for _, rule := range catalog.Default().Rules {
		if len(specs[rule.ID]) == 0 {
			continue
		}
		out = append(out, ListedRule{
			ID: rule.ID, Endpoint: rule.Endpoint, Evidence: string(rule.Evidence), Ambiguous: rule.Ambiguous,
			Statement: rule.Statement, Source: rule.Source, Specs: specs[rule.ID],
		})
	}
	return out, nil
}

// WriteList renders rules as text, JSON or YAML.
func WriteList(w io.Writer, rules []ListedRule, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rules == nil {
			rules = []ListedRule{}
		}
		return enc.Encode(rules)
	case FormatYAML:
		enc := yaml.NewEncoder(w)
		defer enc.Close()
		return enc.Encode(rules)
	case FormatText, "":
		specs := 0
		for _, r := range rules {
			amb := ""
			if r.Ambiguous {
				amb = ", ambiguous"
			}
			fmt.Fprintf(w, "%s [%s%s] %s\n    %s\n", r.ID, r.Evidence, amb, r.Endpoint, r.Statement)
			for _, s := range r.Specs {
				fmt.Fprintf(w, "    - %s\n", s)
			}
			specs += len(r.Specs)
		}
		fmt.Fprintf(w, "%d rules, %d specs\n", len(rules), specs)
		return nil
	default:
		return fmt.Errorf("unknown format %q (want %s)", format, strings.Join([]string{FormatText, FormatJSON, FormatYAML}, ", "))
	}
}
