package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/mpsdconf/mpsdconf/catalog"
)

// Report file names inside the report directory.
const (
	JUnitFile    = "junit.xml"
	JSONFile     = "report.json"
	MarkdownFile = "report.md"
	// HTMLFile is the self-contained HTML report (inline CSS, no scripts, no remote assets).
	HTMLFile = "report.html"
)

// WriteReports writes junit.xml, report.json, report.md, report.html, summary.json and
// traceability.md into dir.
func WriteReports(dir string, report types.Report, s Summary) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	if err := writeJUnit(filepath.Join(dir, JUnitFile), report, s); err != nil {
		return fmt.Errorf("write %s: %w", JUnitFile, err)
	}
	if err := writeJSON(filepath.Join(dir, JSONFile), s); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, MarkdownFile), []byte(Markdown(s)), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", MarkdownFile, err)
	}
	trace := BuildTrace(s, catalog.Default())
	page, err := RenderHTML(s, trace)
	if err != nil {
		return fmt.Errorf("render %s: %w", HTMLFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, HTMLFile), page, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", HTMLFile, err)
	}
	return WriteTrace(dir, trace)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// EscapeCell makes s one cell of a Markdown table: pipes escaped, newlines made spaces.
func EscapeCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", "\\|"), "\n", " ")
}
