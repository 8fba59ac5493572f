package suites_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/mpsdconf/mpsdconf/catalog"
	"github.com/mpsdconf/mpsdconf/config"
	"github.com/mpsdconf/mpsdconf/report"
	"github.com/mpsdconf/mpsdconf/runner"
	"github.com/mpsdconf/mpsdconf/suites"
)

// TestSuites runs the whole suite against a fresh embedded emulator (a correct emulator must
// pass every spec: no false positives), then checks the spec tree that run built: every spec
// names a known rule, no two specs share a name, and every catalog rule has a spec. With
// -short it only builds the tree (a dry run). Ginkgo runs one suite per process, hence one test.
func TestSuites(t *testing.T) {
	// The run is configured like `mpsdconf run` from MPSDCONF_* variables, e.g. MPSDCONF_TARGET
	// and MPSD_EMULATOR_TOKEN_KEY for a separately started emulator.
	cfg, err := config.Load(nil, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	cfg.ReportDir, cfg.NoColor, cfg.DryRun = t.TempDir(), true, testing.Short()
	if summary, err := runner.Run(context.Background(), cfg, os.Stderr); err != nil || summary.Verdict != report.VerdictPass {
		t.Errorf("conformance run against the embedded emulator: verdict %q, error %v; want verdict %q", summary.Verdict, err, report.VerdictPass)
	}
	t.Run("specs are registered cleanly", func(t *testing.T) {
		if errs := suites.RegistrationErrors(); len(errs) > 0 {
			t.Fatalf("spec registration errors:\n  %s", strings.Join(errs, "\n  "))
		}
	})
	t.Run("every catalog rule has a spec", func(t *testing.T) {
		byRule := suites.SpecsByRule()
		if len(byRule) == 0 {
			t.Fatal("no specs were registered: the spec tree was not built")
		}
		var missing []string
		for _, id := range catalog.Default().IDs() {
			if len(byRule[id]) == 0 {
				missing = append(missing, id)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Fatalf("%d catalog rules have no spec: %s", len(missing), strings.Join(missing, ", "))
		}
	})
}
