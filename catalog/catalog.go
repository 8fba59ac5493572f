// Package catalog is the project's one rule catalog: every rule the harness asserts about the
// MPSD handles API, with its endpoint, MUST statement, evidence level and source. The catalog is
// embedded (rules.yaml) and validated when loaded; specs name their rule by ID.
package catalog

import (
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed rules.yaml
var embedded []byte

// Evidence is how strongly a rule is backed by the public record.
type Evidence string

// The evidence levels (see docs/contract.md, "Evidence levels").
const (
	// Doc rules are stated in the reference pages; a failure is a real non-conformance.
	Doc Evidence = "doc"
	// Wire rules are seen in captured traffic or relied on by the official client.
	Wire Evidence = "wire"
	// Inferred rules are the project's reading where the pages are silent.
	Inferred Evidence = "inferred"
)

// Levels lists the evidence levels from strongest to weakest.
var Levels = []Evidence{Doc, Wire, Inferred}

// Endpoint is one operation of the API (or "all" for rules that hold on every endpoint).
type Endpoint struct {
	ID     string `yaml:"id" json:"id"`
	Method string `yaml:"method" json:"method"`
	Path   string `yaml:"path" json:"path"`
}

// Rule is one assertion the harness makes.
type Rule struct {
	ID        string   `yaml:"id" json:"id"`
	Endpoint  string   `yaml:"endpoint" json:"endpoint"`
	Statement string   `yaml:"statement" json:"statement"`
	Evidence  Evidence `yaml:"evidence" json:"evidence"`
	// Source names where the rule comes from: references separated by "; ", each a public URL
	// (the pinned reference pages or official client) or an anchor in docs/contract.md.
	Source string `yaml:"source" json:"source"`
	// EvidenceNote says, in a sentence or two, what the cited evidence actually states, so a
	// reader can check that the statement (status code, headers, fields) does not go beyond it.
	EvidenceNote string `yaml:"evidenceNote" json:"evidenceNote"`
	Ambiguous    bool   `yaml:"ambiguous,omitempty" json:"ambiguous"`
}

// Catalog is the validated set of endpoints and rules.
type Catalog struct {
	Endpoints []Endpoint `yaml:"endpoints" json:"endpoints"`
	Rules     []Rule     `yaml:"rules" json:"rules"`
	byID      map[string]int
}

var idPattern = regexp.MustCompile(`^[A-Z]+(-[A-Z0-9]+)+$`)

// Parse decodes and validates a catalog document. Unknown keys are errors.
func Parse(raw []byte) (*Catalog, error) {
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parse rule catalog: %w", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Catalog) validate() error {
	var problems []string
	endpoints := map[string]bool{}
	for _, e := range c.Endpoints {
		if endpoints[e.ID] {
			problems = append(problems, fmt.Sprintf("endpoint %q listed twice", e.ID))
		}
		endpoints[e.ID] = true
	}
	c.byID = make(map[string]int, len(c.Rules))
	for i, r := range c.Rules {
		where := fmt.Sprintf("rule %d (%s)", i+1, r.ID)
		if !idPattern.MatchString(r.ID) {
			problems = append(problems, where+": ID must look like AREA-WORD(-WORD...), upper case")
		}
		if _, dup := c.byID[r.ID]; dup {
			problems = append(problems, where+": duplicate ID")
		}
		c.byID[r.ID] = i
		if !endpoints[r.Endpoint] {
			problems = append(problems, fmt.Sprintf("%s: unknown endpoint %q", where, r.Endpoint))
		}
		if !strings.Contains(r.Statement, "MUST") {
			problems = append(problems, where+": statement must be in MUST form")
		}
		switch r.Evidence {
		case Doc, Wire, Inferred:
		default:
			problems = append(problems, fmt.Sprintf("%s: evidence %q is not doc, wire or inferred", where, r.Evidence))
		}
		if strings.TrimSpace(r.Source) == "" {
			problems = append(problems, where+": source is empty")
		}
		if strings.TrimSpace(r.EvidenceNote) == "" {
			problems = append(problems, where+": evidenceNote is empty (say what the cited evidence states)")
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid rule catalog:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Load returns the embedded catalog, parsed and validated once.
func Load() (*Catalog, error) {
	defaultOnce.Do(func() { defaultCat, defaultErr = Parse(embedded) })
	return defaultCat, defaultErr
}

// Default returns the embedded catalog. The catalog is compiled into the binary and checked
// by the package tests, so a failure here is a build defect and panics with the reason.
func Default() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Rule returns the rule with the given ID.
func (c *Catalog) Rule(id string) (Rule, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Rule{}, false
	}
	return c.Rules[i], true
}

// Endpoint returns the endpoint with the given ID.
func (c *Catalog) Endpoint(id string) (Endpoint, bool) {
	for _, e := range c.Endpoints {
		if e.ID == id {
			return e, true
		}
	}
	return Endpoint{}, false
}

// IDs returns every rule ID in catalog order.
func (c *Catalog) IDs() []string {
	ids := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		ids[i] = r.ID
	}
	return ids
}

// CountBy returns how many rules each endpoint and each evidence level has.
func (c *Catalog) CountBy() (byEndpoint map[string]int, byEvidence map[Evidence]int) {
	byEndpoint = map[string]int{}
	byEvidence = map[Evidence]int{}
	for _, r := range c.Rules {
		byEndpoint[r.Endpoint]++
		byEvidence[r.Evidence]++
	}
	return byEndpoint, byEvidence
}

// Label names used on specs. Ginkgo label sets let a filter such as
// `evidence: containsAny {doc, wire}` select by level.
const (
	RuleLabelKey     = "rule"
	EvidenceLabelKey = "evidence"
	EndpointLabelKey = "endpoint"
)

// Labels returns the Ginkgo labels a spec of this rule carries.
func (r Rule) Labels() []string {
	return []string{
		RuleLabelKey + ":" + r.ID,
		EvidenceLabelKey + ":" + string(r.Evidence),
		EndpointLabelKey + ":" + r.Endpoint,
	}
}

// RuleIDFromLabels returns the rule ID among a spec's labels, if any.
func RuleIDFromLabels(labels []string) (string, bool) {
	for _, l := range labels {
		if id, ok := strings.CutPrefix(l, RuleLabelKey+":"); ok {
			return id, true
		}
	}
	return "", false
}

// Profile names a preset label filter over evidence levels.
type Profile string

// The profiles.
const (
	// ProfileDocumented runs doc and wire rules: the honest default for a real MPSD.
	ProfileDocumented Profile = "documented"
	// ProfileStrict runs every rule, including the project's inferred ones.
	ProfileStrict Profile = "strict"
)

// LabelFilter returns the Ginkgo label filter for a profile.
func (p Profile) LabelFilter() (string, error) {
	switch p {
	case ProfileDocumented:
		return EvidenceLabelKey + ": containsAny {doc, wire}", nil
	case ProfileStrict, "":
		return "", nil
	default:
		return "", fmt.Errorf("unknown profile %q (want documented or strict)", p)
	}
}

// SortedEndpointIDs returns endpoint IDs that have rules, sorted.
func (c *Catalog) SortedEndpointIDs() []string {
	seen := map[string]bool{}
	for _, r := range c.Rules {
		seen[r.Endpoint] = true
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
