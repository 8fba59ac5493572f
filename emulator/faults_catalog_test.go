package emulator

import (
	"testing"

	"github.com/mpsdconf/mpsdconf/catalog"
)

// TestEveryFaultNamesACatalogRule keeps the fault list and the rule catalog in step.
func TestEveryFaultNamesACatalogRule(t *testing.T) {
	cat := catalog.Default()
	seen := map[string]bool{}
	for _, f := range Faults() {
		if seen[f.Name] {
			t.Errorf("fault %q listed twice", f.Name)
		}
		seen[f.Name] = true
		if _, ok := cat.Rule(f.Rule); !ok {
			t.Errorf("fault %q names rule %q, which is not in the catalog", f.Name, f.Rule)
		}
		if f.Description == "" {
			t.Errorf("fault %q has no description", f.Name)
		}
	}
}

// TestEveryCatalogRuleHasAFault: the self-test can prove every rule's specs notice a defect.
func TestEveryCatalogRuleHasAFault(t *testing.T) {
	covered := map[string]bool{}
	for _, f := range Faults() {
		covered[f.Rule] = true
	}
	for _, id := range catalog.Default().IDs() {
		if !covered[id] {
			t.Errorf("catalog rule %s has no fault", id)
		}
	}
}
