// json.go holds the generic JSON helpers: decoding request bodies into generic values,
// typed field access with messages naming the field (reqString, optObject, checkKeys, ...),
// and copying, merging and comparing decoded values.

package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strconv"
)

// Request bodies are decoded into generic values (objects as map[string]any, numbers as
// json.Number) and checked by hand, so a wrong JSON type is a 400 naming the field, never a
// decoding panic or a 500.

// decodeJSON decodes exactly one JSON value from body.
func decodeJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("request body is empty; a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badRequest("request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("request body is not valid JSON: unexpected data after the top-level value")
	}
	return v, nil
}

// decodeObject decodes body and requires a JSON object.
func decodeObject(body []byte) (map[string]any, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("request body must be a JSON object, not %s", jsonType(v))
	}
	return m, nil
}

// jsonType names the JSON type of a decoded value for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, int, int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return "an unknown type"
	}
}

// join builds a field path for messages ("sessionRef" + "scid" → "sessionRef.scid").
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// reqString returns the required string m[key].
func reqString(m map[string]any, path, key string) (string, error) {
	v, ok := m[key]
	if !ok {
		return "", badRequest("%s is required", join(path, key))
	}
	s, ok := v.(string)
	if !ok {
		return "", badRequest("%s must be a string, not %s", join(path, key), jsonType(v))
	}
	return s, nil
}

// optString returns the optional string m[key]; present reports whether it was given.
func optString(m map[string]any, path, key string) (s string, present bool, err error) {
	v, ok := m[key]
	if !ok {
		return "", false, nil
	}
	s, ok = v.(string)
	if !ok {
		return "", true, badRequest("%s must be a string, not %s", join(path, key), jsonType(v))
	}
	return s, true, nil
}

// reqObject returns the required object m[key].
func reqObject(m map[string]any, path, key string) (map[string]any, error) {
	v, ok := m[key]
	if !ok {
		return nil, badRequest("%s is required", join(path, key))
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("%s must be an object, not %s", join(path, key), jsonType(v))
	}
	return o, nil
}

// optObject returns the optional object m[key] (nil when absent).
func optObject(m map[string]any, path, key string) (map[string]any, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("%s must be an object, not %s", join(path, key), jsonType(v))
	}
	return o, nil
}

// checkKeys rejects keys of m outside allowed.
func checkKeys(m map[string]any, path string, allowed ...string) error {
	for _, k := range sortedKeys(m) {
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			where := "the top level"
			if path != "" {
				where = path
			}
			return badRequest("%q is not allowed in %s (allowed: %v)", k, where, allowed)
		}
	}
	return nil
}

// checkBoolOrNull rejects m[key] when it is present, not null and not a boolean.
func checkBoolOrNull(m map[string]any, path, key string) error {
	if v, ok := m[key]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			return badRequest("%s must be a boolean, not %s", join(path, key), jsonType(v))
		}
	}
	return nil
}

// checkStringOrNull rejects m[key] when it is present, not null and not a string.
func checkStringOrNull(m map[string]any, path, key string) error {
	if v, ok := m[key]; ok && v != nil {
		if _, ok := v.(string); !ok {
			return badRequest("%s must be a string, not %s", join(path, key), jsonType(v))
		}
	}
	return nil
}

// arrayOf reports whether v is an array whose every element satisfies elem.
func arrayOf(v any, elem func(any) bool) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range arr {
		if !elem(x) {
			return false
		}
	}
	return true
}

// isString reports whether x is a string.
func isString(x any) bool {
	_, ok := x.(string)
	return ok
}

// intValue reads an integer from a decoded or emulator-set value.
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	case int:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// boolValue reads a boolean, false when v is not a boolean.
func boolValue(v any) bool {
	b, _ := v.(bool)
	return b
}

// deepCopy copies decoded JSON values (maps and slices recursively).
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	default:
		return v
	}
}

// copyMap deep-copies an object; a nil map gives an empty one.
func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// mergeInto deep-merges src into dst: objects merge recursively, null deletes a key, any
// other value (arrays included) replaces.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		switch sv := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			mergeInto(dm, sv)
		default:
			dst[k] = deepCopy(v)
		}
	}
}

// subObject returns m[key] as an object, creating it when missing or not an object.
func subObject(m map[string]any, key string) map[string]any {
	o, ok := m[key].(map[string]any)
	if !ok {
		o = map[string]any{}
		m[key] = o
	}
	return o
}

// jsonEqual compares two values by their JSON encoding.
func jsonEqual(a, b any) bool {
	ra, errA := json.Marshal(a)
	rb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ra, rb)
}

// sortedKeys lists the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
