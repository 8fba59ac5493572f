package schemas_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mpsdconf/mpsdconf/schemas"
)

// benchBodies names, per schema, the fixture under fixtures/schemas/<name>/valid that is the
// most typical body of that kind on the wire. A schema missing here uses its first valid
// fixture in name order, so a new schema is benchmarked without editing this file.
var benchBodies = map[string]string{
	schemas.HandleCreateRequest:  "activity.json",
	schemas.Handle:               "activity.json",
	schemas.HandlesQueryRequest:  "activity-xuids.json",
	schemas.HandlesQueryResponse: "activity-results.json",
	schemas.SessionRequest:       "join.json",
	schemas.Session:              "two-members-107.json",
	schemas.ThrottleResponse:     "rate.json",
}

// benchBody returns the realistic valid body benchmarked for schema name.
func benchBody(b *testing.B, name string) []byte {
	b.Helper()
	dir := filepath.Join("..", "fixtures", "schemas", name, "valid")
	file, ok := benchBodies[name]
	if !ok {
		entries, err := os.ReadDir(dir)
		if err != nil {
			b.Fatalf("schema %s: %v", name, err)
		}
		var files []string
		for _, e := range entries {
			if filepath.Ext(e.Name()) == ".json" {
				files = append(files, e.Name())
			}
		}
		if len(files) == 0 {
			b.Fatalf("schema %s: no valid fixture in %s", name, dir)
		}
		slices.Sort(files)
		file = files[0]
	}
	body, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		b.Fatalf("schema %s: %v", name, err)
	}
	return body
}

// BenchmarkValidate measures Validate on one realistic valid body of each schema: the cost
// the suites pay for every response (and request) body they check.
func BenchmarkValidate(b *testing.B) {
	names := schemas.Names()
	if len(names) == 0 {
		b.Fatal("no schemas compiled")
	}
	for _, name := range names {
		body := benchBody(b, name)
		if err := schemas.Validate(name, body); err != nil {
			b.Fatalf("fixture for %s is not valid: %v", name, err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := schemas.Validate(name, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
