// Package schemas holds the JSON Schemas (draft-07) of the MPSD handles API bodies the harness
// checks, embedded in the binary, compiled once and looked up by name.
//
// The schemas are strict where the wire is strict (XUIDs and title ids are decimal strings,
// SCIDs and handle ids GUIDs, names [A-Za-z0-9._-]{1,99}) and open where the real service adds
// fields to its responses. Request schemas reject unknown members.
//
// Shared definitions live in common.schema.json, which is a library rather than a document
// schema and is therefore not listed by Names.
package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/xeipuuv/gojsonschema"
)

// Names of the document schemas, for callers that want a constant rather than a string.
const (
	HandleCreateRequest  = "handle-create-request"
	Handle               = "handle"
	HandlesQueryRequest  = "handles-query-request"
	HandlesQueryResponse = "handles-query-response"
	SessionRequest       = "session-request"
	Session              = "session"
	ThrottleResponse     = "throttle-response"
)

const (
	fileSuffix = ".schema.json"
	commonName = "common"
)

//go:embed *.schema.json
var files embed.FS

// Problem is one way a document breaks a schema, as reported by gojsonschema.
type Problem struct {
	// Field is the JSON path of the offending value, e.g. "titleId" or "sessionRef.scid";
	// "(root)" for the document itself. For "required" and "additional_property_not_allowed"
	// it names the object that lacks or carries the member (the member is in Description).
	Field string
	// Type is gojsonschema's error type, e.g. "invalid_type", "required", "pattern".
	Type string
	// Description is the human-readable explanation.
	Description string
}

// String renders the problem as "field: type: description".
func (p Problem) String() string {
	return p.Field + ": " + p.Type + ": " + p.Description
}

// ValidationError reports that a JSON document does not match a schema. Problems is never
// empty and is sorted by Field, then Type, then Description.
type ValidationError struct {
	// Schema is the name of the schema the document was checked against.
	Schema string
	// Problems lists every reason the document is invalid.
	Problems []Problem
}

// Error lists every problem on its own line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "document does not match schema %q (%d problem", e.Schema, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// registry is the set of compiled schemas, built once.
type registry struct {
	schemas map[string]*gojsonschema.Schema
	names   []string
	err     error
}

var (
	regOnce sync.Once
	reg     *registry
	// compilations counts how often the embedded schemas were compiled (tests assert 1).
	compilations atomic.Int32
)

// load returns the registry, compiling the embedded schemas on first use.
func load() *registry {
	regOnce.Do(func() {
		compilations.Add(1)
		reg = compile(files)
	})
	return reg
}

// compile reads every *.schema.json in fsys and compiles each document schema with all the
// other files available to $ref by their $id.
func compile(fsys fs.FS) *registry {
	r := &registry{schemas: map[string]*gojsonschema.Schema{}}
	paths, err := fs.Glob(fsys, "*"+fileSuffix)
	if err != nil {
		r.err = err
		return r
	}
	docs := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			r.err = fmt.Errorf("reading %s: %w", p, err)
			return r
		}
		docs[strings.TrimSuffix(p, fileSuffix)] = b
	}
	if err := checkMetaSchema(paths, docs); err != nil {
		r.err = err
		return r
	}
	for _, p := range paths {
		name := strings.TrimSuffix(p, fileSuffix)
		if name == commonName {
			continue
		}
		sl := gojsonschema.NewSchemaLoader()
		sl.Draft = gojsonschema.Draft7 // each file was checked against the meta-schema above
		for _, other := range paths {
			if other == p {
				continue
			}
			if err := sl.AddSchemas(gojsonschema.NewBytesLoader(docs[strings.TrimSuffix(other, fileSuffix)])); err != nil {
				r.err = fmt.Errorf("loading %s for %s: %w", other, p, err)
				return r
			}
		}
		s, err := sl.Compile(gojsonschema.NewBytesLoader(docs[name]))
		if err != nil {
			r.err = fmt.Errorf("compiling %s: %w", p, err)
			return r
		}
		r.schemas[name] = s
		r.names = append(r.names, name)
	}
	slices.Sort(r.names)
	return r
}

// checkMetaSchema checks every file against the draft-07 meta-schema, once each (checking
// them again for every document that refers to them would multiply the cost of compiling).
func checkMetaSchema(paths []string, docs map[string][]byte) error {
	sl := gojsonschema.NewSchemaLoader()
	sl.Draft = gojsonschema.Draft7
	sl.Validate = true
	for _, p := range paths {
		if err := sl.AddSchemas(gojsonschema.NewBytesLoader(docs[strings.TrimSuffix(p, fileSuffix)])); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// lookup returns the compiled schema called name.
func lookup(name string) (*gojsonschema.Schema, error) {
	r := load()
	if r.err != nil {
		return nil, fmt.Errorf("schemas: embedded schemas are broken: %w", r.err)
	}
	s, ok := r.schemas[name]
	if !ok {
		return nil, fmt.Errorf("schemas: unknown schema %q (known: %s)", name, strings.Join(r.names, ", "))
	}
	return s, nil
}

// Compile compiles the embedded schemas now instead of on first use (a run does it before its
// first spec, so compiling is not spec time) and reports a broken schema.
func Compile() error {
	if r := load(); r.err != nil {
		return fmt.Errorf("schemas: embedded schemas are broken: %w", r.err)
	}
	return nil
}

// Names returns the names of the document schemas, sorted. It returns nil only if the
// embedded schemas fail to compile, which is a build defect reported by Validate.
func Names() []string {
	return slices.Clone(load().names)
}

// Validate checks the JSON document body against the schema called name. It returns nil when
// the document is valid, a *ValidationError when it breaks the schema, and another error when
// name is unknown or body is not a single JSON value.
func Validate(name string, body []byte) error {
	s, err := lookup(name)
	if err != nil {
		return err
	}
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v) // for the position of the syntax error
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return fmt.Errorf("schemas: body is not JSON: %w", err)
	}
	return check(name, s, gojsonschema.NewBytesLoader(body))
}

// ValidateValue checks an already decoded value (e.g. a map[string]any, or a struct with JSON
// tags) against the schema called name. The value is marshalled to JSON first; errors are as
// for Validate.
func ValidateValue(name string, v any) error {
	s, err := lookup(name)
	if err != nil {
		return err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("schemas: value is not JSON-encodable: %w", err)
	}
	return check(name, s, gojsonschema.NewBytesLoader(body))
}

// check validates a document loader and turns the result into a *ValidationError.
func check(name string, s *gojsonschema.Schema, doc gojsonschema.JSONLoader) error {
	res, err := s.Validate(doc)
	if err != nil {
		return fmt.Errorf("schemas: validating against %q: %w", name, err)
	}
	if res.Valid() {
		return nil
	}
	return &ValidationError{Schema: name, Problems: problems(res.Errors())}
}

// wrapperTypes are gojsonschema error types that only summarise the errors of subschemas
// (allOf, if/then/else). Those subschema errors are reported too, so the summaries are noise.
var wrapperTypes = map[string]bool{
	"number_all_of":  true,
	"condition_then": true,
	"condition_else": true,
}

// choiceTypes summarise a failed anyOf/oneOf. gojsonschema adds the errors of the closest
// alternative when none matched; the summary is kept only when no such detail exists.
var choiceTypes = map[string]bool{
	"number_any_of": true,
	"number_one_of": true,
}

// problems converts gojsonschema's errors into sorted, de-duplicated Problems, dropping
// summary errors whose details are reported on their own.
func problems(errs []gojsonschema.ResultError) []Problem {
	all := make([]Problem, 0, len(errs))
	for _, e := range errs {
		all = append(all, Problem{Field: e.Field(), Type: e.Type(), Description: e.Description()})
	}
	out := make([]Problem, 0, len(all))
	for _, p := range all {
		if wrapperTypes[p.Type] && len(all) > 1 {
			continue
		}
		if choiceTypes[p.Type] && hasDetailUnder(all, p.Field) {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Problem) int {
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Description, b.Description)
	})
	return slices.Compact(out)
}

// hasDetailUnder reports whether all holds a non-summary problem at field or below it.
func hasDetailUnder(all []Problem, field string) bool {
	for _, p := range all {
		if wrapperTypes[p.Type] || choiceTypes[p.Type] {
			continue
		}
		if field == "(root)" || p.Field == field || strings.HasPrefix(p.Field, field+".") {
			return true
		}
	}
	return false
}

// ValidateFiles validates each file in paths against the schema called name and writes one
// line per file to w: "ok   PATH", or "FAIL PATH" followed by each reason on its own indented
// line. A file that cannot be read or is not JSON counts as invalid. It returns the number of
// invalid files; err is non-nil only for usage problems (unknown schema, no files) or when
// writing to w fails.
func ValidateFiles(w io.Writer, name string, paths []string) (invalid int, err error) {
	if _, err := lookup(name); err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		return 0, errors.New("schemas: no files to validate")
	}
	for _, path := range paths {
		var b strings.Builder
		reasons := fileReasons(name, path)
		if len(reasons) == 0 {
			fmt.Fprintf(&b, "ok   %s\n", path)
		} else {
			invalid++
			fmt.Fprintf(&b, "FAIL %s\n", path)
			for _, r := range reasons {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return invalid, fmt.Errorf("schemas: writing report: %w", err)
		}
	}
	return invalid, nil
}

// fileReasons returns why the file at path is invalid against schema name (nil if valid).
func fileReasons(name, path string) []string {
	body, err := os.ReadFile(path)
	if err != nil {
		return []string{"cannot read file: " + err.Error()}
	}
	err = Validate(name, body)
	var ve *ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		reasons := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			reasons[i] = p.String()
		}
		return reasons
	default:
		return []string{err.Error()}
	}
}
