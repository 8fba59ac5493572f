package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// writeJSON writes v as readable JSON (see marshalReadable) to path, with a final newline.
func writeJSON(path string, v any) error {
	name := filepath.Base(path)
	raw, err := marshalReadable(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// marshalReadable encodes v as indented JSON without escaping <, > and & (reports show
// "<redacted>" and HTTP transcripts as they are).
func marshalReadable(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// ReadSummary reads a run's report.json (a file, or a folder that holds one).
func ReadSummary(path string) (Summary, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, JSONFile)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Summary{}, fmt.Errorf("read report: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(raw, &s); err != nil {
		return Summary{}, fmt.Errorf("read report %s: %w", path, err)
	}
	if s.Metadata.RunID == "" && s.Verdict == "" {
		return Summary{}, fmt.Errorf("read report %s: not an mpsdconf report.json (no run ID, no verdict)", path)
	}
	return s, nil
}
