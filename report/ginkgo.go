package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/onsi/ginkgo/v2/types"
)

// GinkgoFile is the run's raw Ginkgo report (types.Report as JSON) in the report directory:
// what `mpsdconf merge` reads to join the reports of the shards of a run.
const GinkgoFile = "ginkgo-report.json"

// WriteGinkgoReport writes the raw Ginkgo report of a run into dir (GinkgoFile).
func WriteGinkgoReport(dir string, rep types.Report) error {
	raw, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode %s: %w", GinkgoFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, GinkgoFile), raw, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", GinkgoFile, err)
	}
	return nil
}

// ReadGinkgoReport reads a raw Ginkgo report written by WriteGinkgoReport.
func ReadGinkgoReport(path string) (types.Report, error) {
	var rep types.Report
	raw, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
