package schemas

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/xeipuuv/gojsonschema"
)

// fixturesDir holds <schema>/valid/*.json and <schema>/invalid/<field>--<type>[--note].json.
const fixturesDir = "../fixtures/schemas"

// fixture is one schema fixture file.
type fixture struct {
	schema, path string
	// wantField and wantType are parsed from an invalid fixture's name.
	wantField, wantType string
}

// readFixtures lists the fixtures of every schema directory under fixturesDir.
func readFixtures(t *testing.T, kind string) []fixture {
	t.Helper()
	dirs, err := os.ReadDir(fixturesDir)
	if err != nil {
		t.Fatalf("reading fixtures: %v", err)
	}
	var out []fixture
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(fixturesDir, d.Name(), kind))
		if err != nil {
			t.Fatalf("reading %s fixtures of %s: %v", kind, d.Name(), err)
		}
		for _, f := range files {
			if !strings.HasSuffix(f.Name(), ".json") {
				continue
			}
			fx := fixture{schema: d.Name(), path: filepath.Join(fixturesDir, d.Name(), kind, f.Name())}
			if kind == "invalid" {
				parts := strings.Split(strings.TrimSuffix(f.Name(), ".json"), "--")
				if len(parts) < 2 || len(parts) > 3 {
					t.Fatalf("%s: invalid fixture name must be <field>--<type>[--note].json", fx.path)
				}
				fx.wantField, fx.wantType = parts[0], parts[1]
			}
			out = append(out, fx)
		}
	}
	return out
}

func TestFixtureCoverage(t *testing.T) {
	counts := map[string][2]int{}
	for i, kind := range []string{"valid", "invalid"} {
		for _, fx := range readFixtures(t, kind) {
			c := counts[fx.schema]
			c[i]++
			counts[fx.schema] = c
		}
	}
	for _, name := range Names() {
		if c := counts[name]; c[0] < 3 || c[1] < 4 {
			t.Errorf("schema %s has %d valid and %d invalid fixtures, want at least 3 and 4", name, c[0], c[1])
		}
		delete(counts, name)
	}
	for name := range counts {
		t.Errorf("fixtures directory %s names no schema", name)
	}
}

func TestValidFixtures(t *testing.T) {
	for _, fx := range readFixtures(t, "valid") {
		t.Run(fx.schema+"/"+filepath.Base(fx.path), func(t *testing.T) {
			body, err := os.ReadFile(fx.path)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(fx.schema, body); err != nil {
				t.Errorf("want valid, got: %v", err)
			}
		})
	}
}

func TestInvalidFixtures(t *testing.T) {
	for _, fx := range readFixtures(t, "invalid") {
		t.Run(fx.schema+"/"+filepath.Base(fx.path), func(t *testing.T) {
			body, err := os.ReadFile(fx.path)
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(fx.schema, body)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			if ve.Schema != fx.schema {
				t.Errorf("Schema = %q, want %q", ve.Schema, fx.schema)
			}
			if len(ve.Problems) == 0 {
				t.Fatal("no problems reported")
			}
			for _, p := range ve.Problems {
				if p.Field != fx.wantField || p.Type != fx.wantType {
					t.Errorf("unexpected problem %q, want only %s: %s", p, fx.wantField, fx.wantType)
				}
				if p.Description == "" {
					t.Errorf("problem %q has no description", p)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	got := Names()
	want := []string{HandleCreateRequest, Handle, HandlesQueryRequest, HandlesQueryResponse, SessionRequest, Session, ThrottleResponse}
	for _, name := range want {
		if !slices.Contains(got, name) {
			t.Errorf("Names() = %v, missing %q", got, name)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("Names() = %v, not sorted", got)
	}
	if slices.Contains(got, commonName) {
		t.Errorf("Names() = %v lists the definitions library %q", got, commonName)
	}
	got[0] = "mutated"
	if Names()[0] == "mutated" {
		t.Error("Names() returns the registry's own slice")
	}
}

func TestValidateErrors(t *testing.T) {
	valid := []byte(`{"version":1,"type":"activity","sessionRef":{"scid":"3f1c8a52-6d0e-4b7a-9c21-85e4d0a7b613","templateName":"ConfLobby","name":"conf-lobby-0001"}}`)
	tests := []struct {
		name, schema string
		body         []byte
		wantIn       string
	}{
		{"unknown schema", "handles", valid, `unknown schema "handles"`},
		{"common is not a document schema", commonName, valid, `unknown schema "common"`},
		{"not JSON", HandleCreateRequest, []byte(`{"version":1,`), "body is not JSON"},
		{"empty body", HandleCreateRequest, nil, "body is not JSON"},
		{"trailing data", HandleCreateRequest, append(slices.Clone(valid), []byte(" {}")...), "body is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.schema, tt.body)
			if err == nil {
				t.Fatal("want error, got nil")
			}
			var ve *ValidationError
			if errors.As(err, &ve) {
				t.Fatalf("want a plain error, got *ValidationError: %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q does not contain %q", err, tt.wantIn)
			}
		})
	}
	if err := Validate(HandleCreateRequest, valid); err != nil {
		t.Errorf("valid body: %v", err)
	}
}

// TestIfThenNamesRealField checks that per-type rules report the offending member rather than
// only a combinator summary such as number_one_of or condition_then.
func TestIfThenNamesRealField(t *testing.T) {
	body := []byte(`{"version":1,"type":"invite",
		"sessionRef":{"scid":"3f1c8a52-6d0e-4b7a-9c21-85e4d0a7b613","templateName":"ConfLobby","name":"conf-lobby-0001"},
		"invitedXuid":"2814653000000422","inviteAttributes":{"titleId":1794651203}}`)
	err := Validate(HandleCreateRequest, body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	want := []Problem{{Field: "inviteAttributes.titleId", Type: "invalid_type"}}
	if len(ve.Problems) != 1 || ve.Problems[0].Field != want[0].Field || ve.Problems[0].Type != want[0].Type {
		t.Errorf("problems = %v, want %v", ve.Problems, want)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	body := []byte(`{"id":"","type":"activity","sessionRef":{"scid":"MockScid","templateName":"ConfLobby","name":"conf-lobby-0001"},"titleId":1794651203,"ownerXuid":"2814653000000411"}`)
	err := Validate(Handle, body)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1+len(ve.Problems) || len(ve.Problems) != 3 {
		t.Fatalf("message has %d lines for %d problems:\n%s", len(lines), len(ve.Problems), err)
	}
	if !strings.Contains(lines[0], `"handle"`) || !strings.Contains(lines[0], "3 problems") {
		t.Errorf("header line %q does not name the schema and count", lines[0])
	}
	for i, prefix := range []string{"  id: pattern: ", "  sessionRef.scid: pattern: ", "  titleId: invalid_type: "} {
		if !strings.HasPrefix(lines[i+1], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i+1], prefix)
		}
	}
	if again := Validate(Handle, body); again.Error() != err.Error() {
		t.Errorf("message is not deterministic:\n%s\n---\n%s", err, again)
	}
}

func TestValidateValue(t *testing.T) {
	v := map[string]any{"version": 1, "currentRequests": 3, "maxRequests": 30, "periodInSeconds": 15, "limitType": "rate"}
	if err := ValidateValue(ThrottleResponse, v); err != nil {
		t.Errorf("valid value: %v", err)
	}
	v["limitType"] = "burst"
	var ve *ValidationError
	if err := ValidateValue(ThrottleResponse, v); !errors.As(err, &ve) || ve.Problems[0].Field != "limitType" {
		t.Errorf("want a limitType problem, got %v", err)
	}
	if err := ValidateValue(ThrottleResponse, make(chan int)); err == nil || errors.As(err, &ve) {
		t.Errorf("unencodable value: want a plain error, got %v", err)
	}
	if err := ValidateValue("nope", v); err == nil || errors.As(err, &ve) {
		t.Errorf("unknown schema: want a plain error, got %v", err)
	}
}

func TestValidateFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"version":1,"currentRequests":3,"maxRequests":30,"periodInSeconds":15,"limitType":"rate"}`)
	bad := write("bad.json", `{"version":"1","currentRequests":3,"maxRequests":30,"periodInSeconds":15}`)
	notJSON := write("text.json", `Too Many Requests`)
	missing := filepath.Join(dir, "missing.json")

	var out bytes.Buffer
	invalid, err := ValidateFiles(&out, ThrottleResponse, []string{good, bad, notJSON, missing})
	if err != nil {
		t.Fatalf("ValidateFiles: %v", err)
	}
	if invalid != 3 {
		t.Errorf("invalid = %d, want 3", invalid)
	}
	want := []string{
		"ok   " + good,
		"FAIL " + bad,
		"    (root): required: limitType is required",
		"    version: invalid_type: ",
		"FAIL " + notJSON,
		"    schemas: body is not JSON: ",
		"FAIL " + missing,
		"    cannot read file: ",
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("output has %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], want[i])
		}
	}

	out.Reset()
	if invalid, err := ValidateFiles(&out, ThrottleResponse, []string{good}); err != nil || invalid != 0 {
		t.Errorf("all valid: invalid = %d, err = %v", invalid, err)
	}
	if _, err := ValidateFiles(&out, "no-such-schema", []string{good}); err == nil {
		t.Error("unknown schema: want error")
	}
	if _, err := ValidateFiles(&out, ThrottleResponse, nil); err == nil {
		t.Error("no files: want error")
	}
	if _, err := ValidateFiles(failingWriter{}, ThrottleResponse, []string{good}); err == nil {
		t.Error("failing writer: want error")
	}
}

// failingWriter rejects every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCompiledOnce(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_ = Validate(ThrottleResponse, []byte(`{}`))
			_ = Names()
		})
	}
	wg.Wait()
	first := load()
	if first.err != nil {
		t.Fatalf("embedded schemas do not compile: %v", first.err)
	}
	if load() != first {
		t.Error("load() returned a different registry")
	}
	if n := compilations.Load(); n != 1 {
		t.Errorf("schemas compiled %d times, want 1", n)
	}
	if len(first.names) != len(first.schemas) {
		t.Errorf("%d names for %d schemas", len(first.names), len(first.schemas))
	}
}

// TestCompileReportsBrokenSchema checks that a defective schema set is reported, not panicked on.
func TestCompileReportsBrokenSchema(t *testing.T) {
	fsys := os.DirFS(t.TempDir())
	if r := compile(fsys); r.err != nil || len(r.schemas) != 0 {
		t.Errorf("empty set: err = %v, %d schemas", r.err, len(r.schemas))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.schema.json"), []byte(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"nonsense"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := compile(os.DirFS(dir)); r.err == nil {
		t.Error("broken schema: want error")
	}
}

// TestProblemsFiltering checks the summary-error rules on synthetic gojsonschema errors.
func TestProblemsFiltering(t *testing.T) {
	root := gojsonschema.NewJsonContext("(root)", nil)
	at := func(path ...string) *gojsonschema.JsonContext {
		c := root
		for _, p := range path {
			c = gojsonschema.NewJsonContext(p, c)
		}
		return c
	}
	mk := func(ctx *gojsonschema.JsonContext, typ string) gojsonschema.ResultError {
		e := &gojsonschema.ResultErrorFields{}
		e.SetContext(ctx)
		e.SetType(typ)
		e.SetDescription(typ + " at " + ctx.String())
		return e
	}
	got := problems([]gojsonschema.ResultError{
		mk(root, "number_all_of"),
		mk(root, "condition_then"),
		mk(at("owners"), "number_one_of"), // explained by the detail below: dropped
		mk(at("owners", "people"), "required"),
		mk(at("servers"), "number_any_of"), // nothing explains it: kept
		mk(at("titleId"), "invalid_type"),
		mk(at("titleId"), "invalid_type"), // duplicate: dropped
	})
	var short []string
	for _, p := range got {
		short = append(short, p.Field+" "+p.Type)
	}
	want := []string{"owners.people required", "servers number_any_of", "titleId invalid_type"}
	if !slices.Equal(short, want) {
		t.Errorf("problems = %q, want %q", short, want)
	}
	if got := problems([]gojsonschema.ResultError{mk(root, "condition_then")}); len(got) != 1 {
		t.Errorf("a lone summary must be kept, got %v", got)
	}
}

// FuzzValidate checks that no input panics and that every error is classified.
func FuzzValidate(f *testing.F) {
	f.Add(`{"version":1,"type":"invite","sessionRef":{"scid":"3f1c8a52-6d0e-4b7a-9c21-85e4d0a7b613","templateName":"a","name":"b"},"invitedXuid":"1","inviteAttributes":{"titleId":"1"}}`)
	f.Add(`{"results":[{"id":"x","type":"search","relatedInfo":{}}]}`)
	f.Add(`{"members":{"me":null,"reserve_0":{"constants":{"system":{"xuid":1e400}}}}}`)
	f.Add(`[1,2,{"a":null}]`)
	f.Add(`{`)
	f.Fuzz(func(t *testing.T, body string) {
		for _, name := range Names() {
			err := Validate(name, []byte(body))
			var ve *ValidationError
			if errors.As(err, &ve) && len(ve.Problems) == 0 {
				t.Fatalf("%s: ValidationError without problems", name)
			}
		}
	})
}
